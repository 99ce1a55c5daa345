# dns-static-records: the Nix entry points (contract §8).
#
# Plain Nix builtins only: `import ./nix/lib.nix` works with any
# nix-instantiate, without nixpkgs and without network.
#
#   render { zones, managedBy, ownerPrefix ? "nix", ttl ? 300, autoPtr ? false,
#            externalDnsLayouts ? null, exceptions ? [ ],
#            exceptionsOption ? "exceptions" }
#     -> the desired-state document (contract §2) as an attrset
#   check { document, python, strict ? false, name ? ..., system ? ... }
#     -> a derivation whose output is the document's JSON, built only if
#        `python -m checker` accepts it
#   addAutoPtr document -> document with generated PTRs (see below)
#   escapeTxt, reverseName, checkerSource, supportedTypes: small helpers
#   collectContributions, contributedDocuments, checkTogether: several
#     hosts' records in one zone (nix/contributions.nix)
let
  inherit (builtins)
    attrNames
    concatLists
    concatStringsSep
    elem
    filter
    foldl'
    genList
    head
    isAttrs
    isBool
    isInt
    isList
    isString
    length
    listToAttrs
    match
    stringLength
    substring
    toJSON
    ;

  concatMap = f: xs: concatLists (map f xs);
  hasSuffix =
    suffix: s:
    let
      ls = stringLength s;
      lx = stringLength suffix;
    in
    ls >= lx && substring (ls - lx) lx s == suffix;
  removeSuffix =
    suffix: s: if hasSuffix suffix s then substring 0 (stringLength s - stringLength suffix) s else s;
  chars = s: genList (i: substring i 1 s) (stringLength s);
  splitString = sep: s: filter isString (builtins.split sep s);
  lowercase =
    s:
    builtins.replaceStrings
      (chars "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
      (chars "abcdefghijklmnopqrstuvwxyz")
      s;

  hexDigits = chars "0123456789abcdef";
  hexOf =
    width: n:
    concatStringsSep "" (
      genList (
        i:
        let
          shift = foldl' (acc: _: acc * 16) 1 (genList (x: x) (width - 1 - i));
        in
        builtins.elemAt hexDigits (builtins.bitAnd (n / shift) 15)
      ) width
    );
  # "\uXXXX" JSON escape -> the UTF-8 bytes of that code point
  fromCodePoint =
    cp:
    if cp < 65536 then
      builtins.fromJSON ''"\u${hexOf 4 cp}"''
    else
      let
        c = cp - 65536;
      in
      builtins.fromJSON ''"\u${hexOf 4 (55296 + c / 1024)}\u${hexOf 4 (56320 + builtins.bitAnd c 1023)}"'';

  # One-byte string -> its value, for every byte a Nix string can hold
  # (1-127, and every byte that occurs in well-formed UTF-8).
  byteValues = listToAttrs (
    genList (i: {
      name = fromCodePoint (i + 1);
      value = i + 1;
    }) 127
    # continuation bytes 0x80-0xbf: second byte of U+0080..U+00BF
    ++ genList (i: {
      name = substring 1 1 (fromCodePoint (128 + i));
      value = 128 + i;
    }) 64
    # lead bytes 0xc2-0xdf
    ++ genList (i: {
      name = substring 0 1 (fromCodePoint ((i + 2) * 64));
      value = 194 + i;
    }) 30
    # lead bytes 0xe0-0xef
    ++ genList (i: {
      name = substring 0 1 (fromCodePoint (if i == 0 then 2048 else i * 4096));
      value = 224 + i;
    }) 16
    # lead bytes 0xf0-0xf4
    ++ genList (i: {
      name = substring 0 1 (fromCodePoint (if i == 0 then 65536 else i * 262144));
      value = 240 + i;
    }) 5
  );
  decimal3 =
    n:
    let
      s = toString n;
    in
    substring 0 (3 - stringLength s) "000" + s;

  escapeByte =
    c:
    if c == "\"" || c == "\\" then
      "\\" + c
    else if match "[ -~]" c != null then
      c
    else if byteValues ? ${c} then
      "\\" + decimal3 byteValues.${c}
    else
      c;

  # Escape one character-string (RFC 1035 §5.1): `"` and `\` get a
  # backslash, anything outside printable ASCII becomes \DDD.
  escapeCharString =
    s: if match "[]#-[ !^-~]*" s != null then s else concatStringsSep "" (map escapeByte (chars s));

  # Text -> TXT RDATA in presentation format: quoted, escaped, and split
  # into character-strings of at most 255 octets.
  escapeTxt =
    text:
    let
      n = stringLength text;
      count = if n == 0 then 1 else (n + 254) / 255;
      pieces = genList (i: substring (i * 255) 255 text) count;
    in
    concatStringsSep " " (map (p: ''"${escapeCharString p}"'') pieces);

  # Attribute-path element as a Nix user writes it.
  nixKeywords = [
    "if"
    "then"
    "else"
    "assert"
    "with"
    "let"
    "in"
    "rec"
    "inherit"
    "or"
  ];
  pathElem =
    k: if match "[a-zA-Z_][a-zA-Z0-9_'-]*" k != null && !(elem k nixKeywords) then k else toJSON k;
  showPath = path: concatStringsSep "." (map pathElem path);

  fail = path: msg: throw "dns-static-records: ${showPath path}: ${msg}";

  need =
    path: type: item: fields:
    let
      missing = filter (f: !(item ? ${f})) fields;
    in
    if missing == [ ] then
      true
    else
      fail path "a ${type} record needs { ${concatStringsSep "; " fields}; } (missing: ${concatStringsSep ", " missing})";

  str = v: if isBool v then (if v then "1" else "0") else toString v;
  joinList = sep: v: if isList v then concatStringsSep sep (map str v) else str v;

  # DKIM and DMARC are dns.nix pseudo types that become TXT records.
  dkimText =
    item:
    let
      tags = filter (t: t.v != null && t.v != "") [
        {
          k = "h";
          v = joinList ":" (item.h or [ ]);
        }
        {
          k = "k";
          v = item.k or "rsa";
        }
        {
          k = "n";
          v = item.n or "";
        }
        {
          k = "p";
          v = item.p;
        }
        {
          k = "s";
          v = joinList ":" (item.s or [ "*" ]);
        }
        {
          k = "t";
          v = joinList ":" (item.t or [ ]);
        }
      ];
    in
    concatStringsSep "; " ([ "v=DKIM1" ] ++ map (t: "${t.k}=${t.v}") tags) + ";";
  dmarcText =
    item:
    let
      first = v: if v == null then null else substring 0 1 v;
      tags = filter (t: t.v != null && t.v != "") [
        {
          k = "adkim";
          v = first (item.adkim or "relaxed");
        }
        {
          k = "aspf";
          v = first (item.aspf or "relaxed");
        }
        {
          k = "fo";
          v = joinList ":" (item.fo or [ "0" ]);
        }
        {
          k = "pct";
          v = str (item.pct or 100);
        }
        {
          k = "rf";
          v = joinList ":" (item.rf or [ "afrf" ]);
        }
        {
          k = "ri";
          v = str (item.ri or 86400);
        }
        {
          k = "rua";
          v = joinList "," (item.rua or [ ]);
        }
        {
          k = "ruf";
          v = joinList "," (item.ruf or [ ]);
        }
        {
          k = "sp";
          v = item.sp or null;
        }
      ];
    in
    concatStringsSep "; " ([ "v=DMARC1; p=${item.p}" ] ++ map (t: "${t.k}=${t.v}") tags) + ";";

  # Per type: the RDATA of the string form, of the attrset form, and the
  # owner-name prefix the attrset form implies (SRV, DKIM, DMARC).
  nameField = field: {
    fromString = s: s;
    fromAttrs =
      path: type: item:
      assert need path type item [ field ];
      item.${field};
  };
  handlers = {
    A = nameField "address";
    AAAA = nameField "address";
    CNAME = nameField "cname";
    NS = nameField "nsdname";
    PTR = nameField "ptrdname";
    DNAME = nameField "dname";
    TXT = {
      fromString = escapeTxt;
      fromAttrs =
        path: type: item:
        assert need path type item [ "data" ];
        escapeTxt item.data;
    };
    MX = {
      fromAttrs =
        path: type: item:
        assert need path type item [
          "preference"
          "exchange"
        ];
        "${str item.preference} ${item.exchange}";
    };
    SRV = {
      fromAttrs =
        path: type: item:
        assert need path type item [
          "service"
          "proto"
          "port"
          "target"
        ];
        "${str (item.priority or 0)} ${str (item.weight or 100)} ${str item.port} ${item.target}";
      prefix = item: "_${item.service}._${item.proto}";
    };
    CAA = {
      fromAttrs =
        path: type: item:
        assert need path type item [
          "tag"
          "value"
        ];
        let
          flags =
            if item ? flags then
              str item.flags
            else if item.issuerCritical or false then
              "128"
            else
              "0";
        in
        "${flags} ${item.tag} ${escapeTxt item.value}";
    };
    DKIM = {
      type = "TXT";
      fromString = escapeTxt;
      fromAttrs =
        path: type: item:
        assert need path type item [
          "selector"
          "p"
        ];
        escapeTxt (dkimText item);
      prefix = item: "${item.selector}._domainkey";
    };
    DMARC = {
      type = "TXT";
      fromString = escapeTxt;
      fromAttrs =
        path: type: item:
        assert need path type item [ "p" ];
        escapeTxt (dmarcText item);
      prefix = _: "_dmarc";
    };
  };

  # The contract's record types; anything else is rendered as it stands
  # and left to the checker to reject by name.
  supportedTypes = [
    "A"
    "AAAA"
    "CNAME"
    "NS"
    "PTR"
    "TXT"
    "MX"
    "SRV"
    "CAA"
  ];

  # Node keys that are not record lists: `ttl` and `subdomains` are ours;
  # the rest appear when a whole dns.nix `zone` (not `subzone`) is passed.
  structuralKeys = [
    "ttl"
    "subdomains"
    "useOrigin"
    "TTL"
    "__toString"
    "_module"
  ];

  fallback = {
    fromString = s: s;
    fromAttrs =
      _path: _type: item:
      toJSON (removeAttrs item [
        "class"
        "ttl"
        "_module"
      ]);
  };

  renderItem =
    {
      path,
      type,
      owner,
      nodeTtl,
    }:
    item:
    let
      h = handlers.${type} or fallback;
      rdata =
        if isString item then
          # no string form in dns.nix (MX, SRV, CAA, ...): raw RDATA, for the checker
          (h.fromString or (s: s)) item
        else if isAttrs item then
          h.fromAttrs path type item
        else
          fail path "a ${type} record must be a string or an attrset, not ${builtins.typeOf item}";
      prefix = if isAttrs item && h ? prefix then h.prefix item else null;
      name =
        if prefix == null then
          owner
        else if owner == "@" then
          prefix
        else
          "${prefix}.${owner}";
      recTtl = if isAttrs item && (item.ttl or null) != null then item.ttl else nodeTtl;
    in
    {
      inherit name;
      type = h.type or type;
      data = rdata;
      source = showPath path;
    }
    // (if recTtl == null then { } else { ttl = recTtl; });

  renderNode =
    {
      path,
      owner,
      inheritedTtl,
      node,
    }:
    let
      nodeTtl = if (node.ttl or null) != null then node.ttl else inheritedTtl;
      types = filter (k: !(elem k structuralKeys)) (attrNames node);
      records = concatMap (
        type:
        let
          items = node.${type};
          tpath = path ++ [ type ];
        in
        if type == "SOA" && items == null then
          [ ]
        else if isList items then
          map (renderItem {
            inherit type owner nodeTtl;
            path = tpath;
          }) items
        else if type == "SOA" && isAttrs items then
          # Knot owns the SOA; render it so the checker names the mistake.
          [
            (renderItem {
              inherit type owner nodeTtl;
              path = tpath;
            } items)
          ]
        else
          fail tpath "expected a list of ${type} records"
      ) types;
      subdomains = node.subdomains or { };
      children = concatMap (
        key:
        renderNode {
          path = path ++ [
            "subdomains"
            key
          ];
          owner = if owner == "@" then key else "${key}.${owner}";
          inheritedTtl = nodeTtl;
          node = subdomains.${key};
        }
      ) (attrNames subdomains);
    in
    if !isAttrs node then
      fail path "expected an attrset of record lists and subdomains"
    else if !isAttrs subdomains then
      fail (path ++ [ "subdomains" ]) "expected an attrset of nodes"
    else
      records ++ children;

  renderZone =
    zone: node:
    renderNode {
      path = [
        "zones"
        zone
      ];
      owner = "@";
      inheritedTtl = null;
      inherit node;
    };

  # ---- reverse names and autoPtr -------------------------------------

  ipv4Octet = "(0|[1-9][0-9]{0,2})";
  reverseIPv4 =
    addr:
    let
      m = match "${ipv4Octet}\\.${ipv4Octet}\\.${ipv4Octet}\\.${ipv4Octet}" addr;
      ok = m != null && builtins.all (o: builtins.fromJSON o < 256) m;
    in
    if ok then concatStringsSep "." (builtins.genList (i: builtins.elemAt m (3 - i)) 4) + ".in-addr.arpa" else null;

  # IPv6 -> the 8 groups as 4-digit lower-case hex, or null if malformed.
  ipv6Groups =
    addr:
    let
      a = lowercase addr;
      # a trailing dotted quad stands for the last two groups
      v4 = match "(.*:)([0-9]+\\.[0-9.]+)" a;
      v4rev = if v4 == null then null else reverseIPv4 (builtins.elemAt v4 1);
      v4octets =
        if v4rev == null then null else map builtins.fromJSON (splitString "\\." (builtins.elemAt v4 1));
      tail4 =
        if v4octets == null then
          [ ]
        else
          [
            (hexOf 4 ((builtins.elemAt v4octets 0) * 256 + builtins.elemAt v4octets 1))
            (hexOf 4 ((builtins.elemAt v4octets 2) * 256 + builtins.elemAt v4octets 3))
          ];
      body =
        if v4 == null then
          a
        else if v4rev == null then
          null
        else
          let
            b = builtins.elemAt v4 0;
          in
          if hasSuffix "::" b then b else removeSuffix ":" b;
      halves = if body == null then [ ] else splitString "::" body;
      groupsOf = s: if s == "" then [ ] else splitString ":" s;
      validGroup = g: match "[0-9a-f]{1,4}" g != null;
      pad = g: substring 0 (4 - stringLength g) "0000" + g;
      left = groupsOf (head halves);
      right = if length halves == 2 then groupsOf (builtins.elemAt halves 1) else [ ];
      given = length left + length right + length tail4;
      groups =
        if length halves == 1 then
          left ++ tail4
        else
          left ++ genList (_: "0") (8 - given) ++ right ++ tail4;
      explicit = left ++ right;
    in
    if body == null || length halves > 2 then
      null
    else if !(builtins.all validGroup explicit) then
      null
    else if length halves == 1 && given != 8 then
      null
    else if length halves == 2 && given > 7 then
      null
    else
      map pad groups;

  reverseIPv6 =
    addr:
    let
      g = ipv6Groups addr;
      nibbles = if g == null then [ ] else chars (concatStringsSep "" g);
    in
    if g == null then
      null
    else
      concatStringsSep "." (genList (i: builtins.elemAt nibbles (31 - i)) 32) + ".ip6.arpa";

  # An address -> its reverse-lookup name (no trailing dot), or null.
  reverseName =
    addr:
    let
      v4 = reverseIPv4 addr;
    in
    if v4 != null then v4 else reverseIPv6 addr;

  bareZone = z: lowercase (removeSuffix "." z);
  absOwner =
    zone: name:
    if name == "@" then
      bareZone zone
    else if hasSuffix "." name then
      lowercase (removeSuffix "." name)
    else
      lowercase "${name}.${bareZone zone}";

  # Add a PTR to the document's reverse zones for every A/AAAA record whose
  # address has none yet. Only zones already in the document receive
  # records (the most specific one that covers the address); the first
  # record declaring an address wins; the PTR's source names the A/AAAA
  # record it came from.
  addAutoPtr =
    document:
    let
      zoneNames = attrNames document.zones;
      reverseZones = filter (
        z: hasSuffix ".in-addr.arpa" (bareZone z) || hasSuffix ".ip6.arpa" (bareZone z)
      ) zoneNames;
      existing = listToAttrs (
        concatMap (
          z:
          map (r: {
            name = absOwner z r.name;
            value = true;
          }) (filter (r: r.type == "PTR") document.zones.${z}.records)
        ) reverseZones
      );
      addrs = concatMap (
        z:
        map (r: {
          zone = z;
          record = r;
        }) (filter (r: r.type == "A" || r.type == "AAAA") document.zones.${z}.records)
      ) zoneNames;
      coveringZone =
        rev:
        foldl' (
          best: z:
          let
            bz = bareZone z;
            covers = rev == bz || hasSuffix ".${bz}" rev;
          in
          if covers && (best == null || stringLength bz > stringLength (bareZone best)) then z else best
        ) null reverseZones;
      step =
        acc: a:
        let
          rev = reverseName a.record.data;
          z = if rev == null then null else coveringZone rev;
          bz = bareZone z;
        in
        if z == null || acc.claimed ? ${rev} then
          acc
        else
          {
            claimed = acc.claimed // {
              ${rev} = true;
            };
            added = acc.added // {
              ${z} = (acc.added.${z} or [ ]) ++ [
                (
                  {
                    name = if rev == bz then "@" else removeSuffix ".${bz}" rev;
                    type = "PTR";
                    data = "${absOwner a.zone a.record.name}.";
                    source = "${a.record.source or (showPath [
                      "zones"
                      a.zone
                    ])} (autoPtr)";
                  }
                  // (if a.record ? ttl then { inherit (a.record) ttl; } else { })
                )
              ];
            };
          };
      result = foldl' step {
        claimed = existing;
        added = { };
      } addrs;
    in
    document
    // {
      zones = builtins.mapAttrs (
        z: v: v // { records = v.records ++ (result.added.${z} or [ ]); }
      ) document.zones;
    };

  # ---- reviewed exceptions ---------------------------------------------
  # [ { rule; zone; name; type ? null; reason; } ] -> the document's
  # "exceptions" list (contract §2); absent when empty, so documents without
  # exceptions render as before. The checker validates each entry; each
  # carries `source` = "<option>[i]", so a message about it names the option
  # the user wrote (services.dnsStaticRecords.exceptions[1]), not the
  # document in the build directory.
  renderException =
    option: i: e:
    {
      inherit (e) rule zone name;
      reason = e.reason or null;
      source = "${option}[${toString i}]";
    }
    // (if (e.type or null) == null then { } else { inherit (e) type; });
  withExceptions =
    option: exceptions: document:
    if exceptions == [ ] then
      document
    else
      document
      // {
        exceptions = genList (i: renderException option i (builtins.elemAt exceptions i)) (
          builtins.length exceptions
        );
      };

  render =
    {
      zones,
      managedBy,
      ownerPrefix ? "nix",
      ttl ? 300,
      autoPtr ? false,
      externalDnsLayouts ? null,
      exceptions ? [ ],
      # the option path messages name an exception by (see renderException)
      exceptionsOption ? "exceptions",
    }:
    let
      document = {
        version = 1;
        owner = {
          prefix = ownerPrefix;
          inherit managedBy;
        };
        defaults = {
          inherit ttl;
        };
        zones = builtins.mapAttrs (zone: node: { records = renderZone zone node; }) zones;
      }
      // externalDnsSection externalDnsLayouts;
    in
    withExceptions exceptionsOption exceptions (if autoPtr then addAutoPtr document else document);

  # ExternalDNS's TXT registry layouts (its --txt-prefix, --txt-suffix and
  # --txt-wildcard-replacement per instance) as the document's `externalDns`;
  # null leaves the key out (the agent then assumes ExternalDNS's defaults).
  externalDnsSection =
    layouts:
    if layouts == null then
      { }
    else
      {
        externalDns.layouts = map (layout: {
          prefix = layout.prefix or "";
          suffix = layout.suffix or "";
          wildcardReplacement = layout.wildcardReplacement or "";
        }) layouts;
      };

  # The checker package as a store path holding only its Python files.
  checkerSource = builtins.path {
    path = ../checker;
    name = "dns-static-checker";
    filter =
      path: type:
      let
        base = baseNameOf path;
      in
      if type == "directory" then
        base != "__pycache__"
      else
        type == "regular" && (hasSuffix ".py" base || base == "py.typed");
  };

  checkScript = ''
    import os, shutil, subprocess, sys
    lib = os.path.abspath("pylib")
    os.makedirs(lib)
    os.symlink(os.environ["checker"], os.path.join(lib, "checker"))
    doc = os.path.abspath(os.environ["documentName"])
    shutil.copyfile(os.environ["documentPath"], doc)
    cmd = [os.environ["interpreter"], "-m", "checker"]
    if os.environ.get("strict"):
        cmd.append("--strict")
    cmd.append(doc)
    print("dns-static-records: checking " + os.environ["documentName"] + " with dns-static-check", flush=True)
    rc = subprocess.run(cmd, env=dict(os.environ, PYTHONPATH=lib)).returncode
    if rc != 0:
        sys.exit(rc)
    shutil.copyfile(doc, os.environ["out"])
  '';

  # builtins.derivation plus the `overrideAttrs` that nixpkgs' testers
  # (testBuildFailure) expect. testBuildFailure sets `builder` to a package
  # (`buildPackages.bash`, a directory): stdenv.mkDerivation never executes
  # `builder` itself, but a plain derivation would, so a package given as
  # builder is run through its main program, as `lib.getExe` would.
  packageExe =
    builder:
    if builtins.isAttrs builder && builder ? outPath then
      "${builder}/bin/${builder.meta.mainProgram or (builder.pname or "bash")}"
    else
      builder;
  mkDerivation =
    attrs:
    builtins.derivation (attrs // { builder = packageExe attrs.builder; })
    // {
      overrideAttrs =
        f: mkDerivation (attrs // (if builtins.isFunction f then f attrs else f));
    };

  # A derivation running the Python `script` with the checker package beside
  # it; `attrs` adds the script's inputs. Shared by `check` and
  # contributions.nix's `checkTogether`.
  checkerDerivation =
    {
      name,
      python,
      script,
      strict ? false,
      system ? builtins.currentSystem,
      attrs ? { },
    }:
    mkDerivation (
      {
        inherit name system;
        outputs = [ "out" ];
        __structuredAttrs = false;
        builder = python;
        # nixpkgs' testers.testBuildFailure swaps the builder for bash and runs
        # `realBuilder` (else stdenv's shell) with our `args`: without this,
        # bash would run the Python script.
        realBuilder = python;
        interpreter = python;
        args = [
          "-c"
          script
        ];
        checker = checkerSource;
        strict = if strict then "1" else "";
        PYTHONDONTWRITEBYTECODE = "1";
        preferLocalBuild = true;
        allowSubstitutes = false;
      }
      // attrs
    );

  check =
    {
      document,
      python,
      strict ? false,
      name ? "dns-static-records-desired.json",
      system ? builtins.currentSystem,
    }:
    checkerDerivation {
      inherit
        name
        python
        strict
        system
        ;
      script = checkScript;
      attrs = {
        document = if isString document then document else toJSON document;
        documentName = name;
        passAsFile = [ "document" ];
      };
    };
in
{
  inherit
    render
    check
    addAutoPtr
    escapeTxt
    reverseName
    checkerSource
    checkerDerivation
    supportedTypes
    ;
  # builtins.toJSON of render's result, for writing the document to a file
  renderJSON = args: toJSON (render args);
}
# records contributed by several hosts: collectContributions, contributedDocuments, checkTogether
// import ./contributions.nix
