# Records contributed by several NixOS hosts to the zones one host publishes.
#
# Plain Nix builtins only, like lib.nix (which re-exports these functions).
#
#   collectContributions nixosConfigurations
#     -> { <owner id> = { host = <attribute name>; zones = <zones shape>;
#                         exceptions = <the host's reviewed exceptions>; }; }
#        for every host that sets services.dnsStaticRecords.contributions.
#        A host's services.dnsStaticRecords.exceptions accept findings about
#        its own contributed records (they go into its document).
#        The owner id (managed-by in the markers) is the host's
#        services.dnsStaticRecords.managedBy, i.e. its networking.hostName
#        unless set otherwise; the attribute name when neither exists.
#        Reads nothing but those options, so the publishing host may itself
#        be one of the nixosConfigurations it collects (no evaluation cycle).
#   contributedDocuments { collected, ownerPrefix ? "nix", ttl ? 300, zones ? [ ],
#                          externalDnsLayouts ? null }
#     -> { <owner id> = <desired document>; }: one document per owner, each
#        covering every contributed zone (and `zones`), so an owner that
#        stops contributing to a zone has an empty record list there.
#   checkTogether { documents, python, strict ? false, name ?, system ? }
#     -> one derivation running dns-static-check on all documents at once
#        (several owners); its output is a directory <owner id>.json.
let
  inherit (builtins)
    attrNames
    concatLists
    foldl'
    isString
    listToAttrs
    mapAttrs
    stringLength
    substring
    toJSON
    ;
  staticLib = import ./lib.nix;

  lowercase =
    s:
    builtins.replaceStrings [ "A" "B" "C" "D" "E" "F" "G" "H" "I" "J" "K" "L" "M" "N" "O" "P" "Q" "R"
      "S" "T" "U" "V" "W" "X" "Y" "Z"
    ] [ "a" "b" "c" "d" "e" "f" "g" "h" "i" "j" "k" "l" "m" "n" "o" "p" "q" "r" "s" "t" "u" "v" "w" "x"
      "y" "z"
    ] s;
  # "Internal." and "internal" are one zone: the key every document uses
  zoneKey =
    z:
    let
      l = lowercase z;
      n = stringLength l;
    in
    if n > 1 && substring (n - 1) 1 l == "." then substring 0 (n - 1) l else l;

  # Where a host's contribution lives, for messages.
  optionPath = "services.dnsStaticRecords.contributions";

  # The host's zones with canonical keys; two spellings of one zone are an error.
  canonicalZones =
    host: zones:
    foldl' (
      acc: z:
      let
        k = zoneKey z;
      in
      if acc ? ${k} then
        throw "dns-static-records: host ${host} contributes zone ${k} twice (${optionPath} has keys \"${acc.${k}.key}\" and \"${z}\"): use one spelling"
      else
        acc
        // {
          ${k} = {
            key = z;
            node = zones.${z};
          };
        }
    ) { } (attrNames zones);

  collectContributions =
    nixosConfigurations:
    let
      entries = concatLists (
        map (
          name:
          let
            config = nixosConfigurations.${name}.config or { };
            zones = config.services.dnsStaticRecords.contributions or { };
            declared = config.services.dnsStaticRecords.managedBy or (config.networking.hostName or "");
            owner = if declared == "" then name else declared;
            # the host's reviewed exceptions travel with its own document
            exceptions = config.services.dnsStaticRecords.exceptions or [ ];
          in
          if zones == { } then
            [ ]
          else
            [
              {
                inherit owner;
                value = {
                  host = name;
                  inherit zones exceptions;
                };
              }
            ]
        ) (attrNames nixosConfigurations)
      );
      step =
        acc: e:
        if acc ? ${e.owner} then
          throw "dns-static-records: hosts ${acc.${e.owner}.host} and ${e.value.host} both contribute records as owner \"${e.owner}\" (their managed-by id): give them distinct networking.hostName or services.dnsStaticRecords.managedBy"
        else
          acc // { ${e.owner} = e.value; };
    in
    foldl' step { } entries;

  # Sources read `<host>: services.dnsStaticRecords.contributions.<zone>...`
  # instead of render's `zones.<zone>...`, so a message names the host.
  relabel =
    host: record:
    let
      s = record.source or "";
    in
    if isString s && substring 0 6 s == "zones." then
      record // { source = "${host}: ${optionPath}.${substring 6 (stringLength s - 6) s}"; }
    else
      record;

  contributedDocuments =
    {
      collected,
      ownerPrefix ? "nix",
      ttl ? 300,
      zones ? [ ],
      # the publisher's ExternalDNS layouts: every owner meets the same ExternalDNS
      externalDnsLayouts ? null,
    }:
    let
      perOwner = mapAttrs (_: c: canonicalZones c.host c.zones) collected;
      allZones = attrNames (
        listToAttrs (
          map
            (z: {
              name = zoneKey z;
              value = null;
            })
            (zones ++ concatLists (map attrNames (builtins.attrValues perOwner)))
        )
      );
      document =
        owner: c:
        let
          own = perOwner.${owner};
          rendered = staticLib.render {
            managedBy = owner;
            inherit ownerPrefix ttl externalDnsLayouts;
            exceptions = c.exceptions or [ ];
            exceptionsOption = "nixosConfigurations.${c.host}.config.services.dnsStaticRecords.exceptions";
            zones = listToAttrs (
              map (z: {
                name = z;
                value = if own ? ${z} then own.${z}.node else { };
              }) allZones
            );
          };
        in
        rendered
        // {
          zones = mapAttrs (_: v: v // { records = map (relabel c.host) v.records; }) rendered.zones;
        };
    in
    mapAttrs document collected;

  checkScript = ''
    import json, os, subprocess, sys
    lib = os.path.abspath("pylib")
    os.makedirs(lib)
    os.symlink(os.environ["checker"], os.path.join(lib, "checker"))
    with open(os.environ["documentsPath"], encoding="utf-8") as f:
        documents = json.load(f)
    names = []
    for owner in sorted(documents):
        names.append(owner + ".json")
        with open(names[-1], "w", encoding="utf-8") as f:
            f.write(documents[owner])
    cmd = [os.environ["interpreter"], "-m", "checker"]
    if os.environ.get("strict"):
        cmd.append("--strict")
    print("dns-static-records: checking the documents of " + ", ".join(sorted(documents)) + " together", flush=True)
    rc = subprocess.run(cmd + names, env=dict(os.environ, PYTHONPATH=lib)).returncode
    if rc != 0:
        sys.exit(rc)
    out = os.environ["out"]
    os.makedirs(out)
    for name in names:
        os.rename(name, os.path.join(out, name))
  '';

  checkTogether =
    {
      documents,
      python,
      strict ? false,
      name ? "dns-static-records-published",
      system ? builtins.currentSystem,
    }:
    if documents == { } then
      throw "dns-static-records: checkTogether needs at least one document"
    else
      staticLib.checkerDerivation {
        inherit
          name
          python
          strict
          system
          ;
        script = checkScript;
        # owner id -> the document's JSON text
        attrs = {
          documents = toJSON (mapAttrs (_: d: if isString d then d else toJSON d) documents);
          passAsFile = [ "documents" ];
        };
      };
in
{
  inherit
    collectContributions
    contributedDocuments
    checkTogether
    zoneKey
    ;
  contributionsOption = optionPath;
}
