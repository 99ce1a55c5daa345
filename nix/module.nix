# The NixOS module `services.dnsStaticRecords` (contract §7).
#
# This file is a function returning the module, so the flake can hand it
# dns.nix without a module argument:
#
#   imports = [ (import ./nix/module.nix { dns = <dns.nix source tree>; }) ];
#
# `dns` is the dns.nix source (the flake input, or a checkout path). When it
# is null, `zones` is an untyped attrset of the same shape and the build-time
# check (dns-static-check) is the only validation.
#
# Layout: `let` holds the pieces (zone type, unit names, agent command line,
# unit settings, Knot side, checks); `options` and `config` follow, each in
# blocks by topic, so further options slot in beside their peers.
{
  dns ? null,
}:
{
  config,
  lib,
  pkgs,
  utils,
  ...
}:
let
  inherit (lib)
    mkEnableOption
    mkIf
    mkOption
    literalExpression
    types
    ;

  cfg = config.services.dnsStaticRecords;
  staticLib = import ./lib.nix;

  # The units' static system user and group. Static, not DynamicUser: the
  # units write outside their StateDirectory (metrics, an external
  # backupDir), and files a dynamic user leaves there keep a UID systemd
  # may hand to another unit later (as nixpkgs' exporters do when sharing
  # files with another daemon).
  user = "dns-static-records";
  stateRoot = "/var/lib/dns-static-records";

  label = "[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?";
  isLabel = s: builtins.match label s != null;

  # An ExternalDNS registry prefix or suffix: ASCII letters, digits, `-`,
  # `_`, dots and its `%{record_type}` template (the checker also refuses
  # empty and over-long labels).
  layoutAffix = types.strMatching "([A-Za-z0-9_.-]|%[{]record_type[}])*";

  # -- zones: dns.nix's record types, plus a node-level `ttl` ----------------

  ttlType = types.ints.between 0 2147483647;

  dnsLib =
    if dns == null then
      null
    else
      import (if builtins.isPath dns then dns + "/dns" else "${dns}/dns") { inherit lib; };

  # dns.nix's `subzone` has no `ttl`, so a node is rebuilt from its record
  # types: the same record lists (every type but SOA), `subdomains` of the
  # same node type, and `ttl` for the node and its subdomains.
  zoneNode =
    let
      recordTypes = removeAttrs dnsLib.types.records [ "SOA" ];
      node = types.submodule {
        options = lib.mapAttrs (
          name: rtype:
          mkOption {
            type = types.listOf (dnsLib.types.record.recordType rtype);
            default = [ ];
            description = "${name} records of this node.";
          }
        ) recordTypes
        // {
          ttl = mkOption {
            type = types.nullOr ttlType;
            default = null;
            description = "TTL of this node's and its subdomains' records that set none.";
          };
          subdomains = mkOption {
            type = types.attrsOf node;
            default = { };
            description = "Child nodes; a key may hold dots (`\"53.0.0\"`).";
          };
        };
      };
    in
    node;

  zonesType = if dnsLib == null then types.attrsOf types.anything else types.attrsOf zoneNode;

  # -- unit names --------------------------------------------------------------

  # Unit name for a zone: the zone as written, without a trailing dot
  # ("internal." and "internal" both give dns-static-sync-internal).
  unitZone = zone: lib.removeSuffix "." zone;
  syncUnit = zone: "dns-static-sync-${unitZone zone}";
  reconcileUnit = zone: "dns-static-reconcile-${unitZone zone}";
  # What the checker and Knot see as one zone.
  zoneKey = zone: lib.toLower (unitZone zone);

  zoneNames = builtins.attrNames cfg.zones;
  # One zone per unit name: the first spelling wins, the others are reported
  # by an assertion (defining both would be a "conflicting definition" error
  # that names neither zone). Zones whose name makes no unit name get no
  # unit, only an assertion.
  zonesByKey = lib.groupBy zoneKey (lib.subtractLists badZoneNames zoneNames);
  unitZones = map builtins.head (builtins.attrValues zonesByKey);
  clashes = lib.filter (zs: builtins.length zs > 1) (builtins.attrValues zonesByKey);

  # systemd's unit name rules (nixpkgs' unitNameType; at most 255 bytes)
  validUnitName =
    n:
    builtins.match "[a-zA-Z0-9@%:_.\\-]+[.](service|socket|device|mount|automount|swap|target|path|timer|scope|slice)" n
    != null
    && builtins.stringLength n <= 255;
  badZoneNames = lib.filter (
    z:
    unitZone z == ""
    || builtins.match "[A-Za-z0-9_.-]+" z == null
    || !validUnitName "${reconcileUnit z}.service"
  ) zoneNames;

  # -- the checked document --------------------------------------------------

  document = staticLib.render {
    inherit (cfg) zones managedBy ownerPrefix autoPtr;
    inherit (cfg) ttl;
    externalDnsLayouts = cfg.externalDns.layouts;
    inherit (cfg) exceptions;
    exceptionsOption = "services.dnsStaticRecords.exceptions";
  };
  checkedDocument = staticLib.check {
    inherit document;
    python = "${pkgs.buildPackages.python3}/bin/python3";
    system = pkgs.stdenv.buildPlatform.system;
    # an invalid managedBy is reported by an assertion, not by a store-path error
    name = "dns-static-records-${if isLabel cfg.managedBy then cfg.managedBy else "invalid-owner"}.json";
  };

  # takeOver entries that name no RRset of the document: the agent refuses
  # them (usage error) in every zone's unit, so the build refuses them first.
  # Compared as the agent does: absolute owner name without the trailing
  # dot, case-insensitive; type case-insensitive.
  rrsetKey = name: type: "${lib.toLower (lib.removeSuffix "." name)}/${lib.toUpper type}";
  declaredRRsets = lib.listToAttrs (
    lib.concatLists (
      lib.mapAttrsToList (
        zone: z:
        map (r: {
          name = rrsetKey (
            if r.name == "@" then
              zone
            else if lib.hasSuffix "." r.name then
              r.name
            else
              "${r.name}.${unitZone zone}"
          ) r.type;
          value = null;
        }) z.records
      ) document.zones
    )
  );
  undeclaredTakeOver = lib.filter (
    entry:
    let
      parts = builtins.match "(.*)/([^/]*)" entry;
    in
    !(declaredRRsets ? ${rrsetKey (builtins.head parts) (builtins.elemAt parts 1)})
  ) cfg.takeOver;

  # -- the agent's command line ------------------------------------------------

  # --take-over NAME/TYPE for every RRset listed in takeOver
  takeOverArgs = lib.concatMap (rrset: [
    "--take-over"
    rrset
  ]) cfg.takeOver;

  agentArgs =
    zone:
    let
      common = [
        "--desired"
        checkedDocument
        "--server"
        cfg.dnsServer
        "--port"
        cfg.port
        "--zone"
        zone
      ];
    in
    if cfg.dryRun then
      [ "plan" ] ++ common ++ takeOverArgs
    else
      [ "apply" ] ++ common ++ takeOverArgs ++ applyOptions;

  # `apply`'s options from the settings (publisher.nix passes them on too)
  applyOptions = [
    "--on-conflict"
    cfg.onConflict
  ]
  ++ lib.optional (!cfg.adopt) "--no-adopt"
  ++ lib.optionals (cfg.maxDeleteFraction != null) [
    "--max-delete-fraction"
    (toString cfg.maxDeleteFraction)
  ]
  ++ lib.optionals cfg.metrics.enable [
    "--metrics-file"
    cfg.metrics.path
  ]
  ++ lib.optionals (cfg.backupDir != null) [
    "--backup-dir"
    cfg.backupDir
  ];

  # The ExecStart line running the agent with `args`, bounded by `timeout`.
  # Every word quoted with `%` and `$` escaped (systemd expands both), as
  # nixpkgs' own modules do; only `%d` (the credentials directory) is meant
  # to expand.
  agentCommand =
    args:
    utils.escapeSystemdExecArgs (
      [ "${cfg.package}/bin/dns-static-agent" ]
      ++ args
      ++ [
        "--deadline"
        cfg.timeout
      ]
    )
    + " --key-file %d/key";

  execStart = zone: agentCommand (agentArgs zone);

  # One path in a unit setting or a tmpfiles line: quoted (a path may hold
  # spaces) and `%` escaped (both expand specifiers; neither expands `$`).
  quotePath = p: lib.replaceStrings [ "%" ] [ "%%" ] (builtins.toJSON p);

  # -- units ---------------------------------------------------------------------

  knotLocal = config.services.knot.enable or false;

  metricsDir = if cfg.metrics.enable then dirOf cfg.metrics.path else null;

  # -- directories the module hands to the units' user ---------------------------

  # systemd-tmpfiles' `d` sets owner and mode of an existing directory, so a
  # directory the module creates must be one of its own. A path must be
  # written plainly: absolute, no `.`, `..` or empty segments, no trailing
  # slash (a prefix test or the lists below could be fooled otherwise).
  isPlainPath = p: builtins.match "(/[^/]+)+" p != null && builtins.match "(.*/)?[.][.]?(/.*)?" p == null;
  # Trees the units must never own a directory in: managed by NixOS, read
  # only, or hidden from the units (ProtectHome, PrivateTmp, PrivateDevices).
  systemTrees = [
    "/bin"
    "/boot"
    "/dev"
    "/etc"
    "/home"
    "/lib"
    "/lib64"
    "/nix"
    "/proc"
    "/root"
    "/sbin"
    "/sys"
    "/tmp"
    "/usr"
    "/var/tmp"
  ];
  # Directories shared by many services: one below them is fine, not they.
  sharedDirs = [
    "/"
    "/mnt"
    "/media"
    "/opt"
    "/run"
    "/run/credentials"
    "/run/secrets"
    "/run/systemd"
    "/run/user"
    "/run/wrappers"
    "/srv"
    "/var"
    "/var/backups"
    "/var/cache"
    "/var/db"
    "/var/empty"
    "/var/lib"
    "/var/lib/private"
    "/var/lock"
    "/var/log"
    "/var/run"
    "/var/spool"
  ];
  isSystemDir =
    d: builtins.elem d sharedDirs || builtins.any (t: d == t || lib.hasPrefix "${t}/" d) systemTrees;
  # null when `d` may be created and handed over, else why not
  dirProblem =
    d: instead:
    if isSystemDir d then
      "${d} is a system or shared directory, and the module would hand it to the units' user (systemd-tmpfiles changes owner and mode of an existing directory): use a directory of its own, e.g. ${instead}"
    else
      null;
  backupInState = cfg.backupDir != null && lib.hasPrefix "${stateRoot}/" "${cfg.backupDir}/";
  externalBackupDir = if cfg.backupDir != null && !backupInState then cfg.backupDir else null;
  extraDirs =
    lib.optional (metricsDir != null) metricsDir ++ lib.optional (externalBackupDir != null) externalBackupDir;

  ipv4 = "([0-9]{1,3}[.]){3}[0-9]{1,3}";
  ipv6 = "[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*";
  # the address without an IPv6 zone id ("fe80::1%eth0"): what IPAddressAllow= takes
  serverAddress = builtins.head (lib.splitString "%" cfg.dnsServer);
  isLiteralAddress = a: builtins.match ipv4 a != null || builtins.match ipv6 a != null;
  isLoopback =
    a:
    builtins.match "127[.].*" a != null
    || builtins.elem (lib.toLower a) [
      "::1"
      "localhost"
    ];

  # A positive systemd time span (systemd.time(7)): numbers, each with an
  # optional unit, spaces allowed between; at least one non-zero digit.
  timespanUnit = "(usec|us|µs|msec|ms|seconds|second|sec|s|minutes|minute|min|m|hours|hour|hr|h|days|day|d|weeks|week|w|months|month|M|years|year|y)";
  isPositiveTimespan =
    t:
    builtins.match " *([0-9]+([.][0-9]*)? *${timespanUnit}? *)+" t != null
    && builtins.match ".*[1-9].*" t != null;

  # systemd gives up on a run after this long; the agent stops itself first
  timeoutStartSec = cfg.timeout + 30;
  restartSec = 30;
  startLimitBurst = 5;

  serviceConfig =
    zone:
    {
      Type = "oneshot";
      ExecStart = execStart zone;
      LoadCredential = [ "key:${lib.replaceStrings [ "%" ] [ "%%" ] cfg.tsigKeyFile}" ];
      User = user;
      Group = user;
      StateDirectory = "dns-static-records";
      StateDirectoryMode = "0750";
      # `-`: a missing directory does not fail the unit (tmpfiles creates it)
      ReadWritePaths = map (d: quotePath "-${d}") extraDirs;
      TimeoutStartSec = timeoutStartSec;
      # files the agent makes are private unless it says otherwise (the
      # metrics file is made 0644 for node-exporter)
      UMask = "0077";
      # hardening
      ProtectSystem = "strict";
      ProtectHome = true;
      PrivateTmp = true;
      PrivateDevices = true;
      DevicePolicy = "closed";
      ProtectKernelTunables = true;
      ProtectKernelModules = true;
      ProtectKernelLogs = true;
      ProtectControlGroups = true;
      ProtectClock = true;
      ProtectHostname = true;
      ProtectProc = "invisible";
      ProcSubset = "pid";
      NoNewPrivileges = true;
      RestrictNamespaces = true;
      RestrictRealtime = true;
      RestrictSUIDSGID = true;
      LockPersonality = true;
      MemoryDenyWriteExecute = true;
      RemoveIPC = true;
      CapabilityBoundingSet = [ "" ];
      AmbientCapabilities = [ "" ];
      RestrictAddressFamilies = [
        "AF_INET"
        "AF_INET6"
        "AF_UNIX"
      ];
      SystemCallArchitectures = "native";
      SystemCallFilter = [
        "@system-service"
        "~@privileged"
      ];
      SystemCallErrorNumber = "EPERM";
    }
    # only the DNS server; a host name needs resolving, so no filter then
    // lib.optionalAttrs (isLiteralAddress serverAddress) {
      IPAddressDeny = "any";
      IPAddressAllow = [ serverAddress ];
    }
    // lib.optionalAttrs cfg.dryRun {
      # `plan` exits 4 when changes are pending: that is what dryRun is for
      SuccessExitStatus = [ 4 ];
    };

  # Requires, not Wants: a Knot restart (or a stop and start) restarts the
  # sync units, which re-apply the records.
  dependencies = {
    wants = [ "network-online.target" ];
    after = [ "network-online.target" ] ++ lib.optional knotLocal "knot.service";
    requires = lib.optional knotLocal "knot.service";
  };

  documentation = [
    "file:${../README.md}"
    "file:${../docs/contract.md}"
  ];

  # -- Knot side (same host) ---------------------------------------------------

  # The ACL has no secret, so it may live in the store; Knot reads it
  # through an `include:` (services.knot.keyFiles), which merges with the
  # host's own `acl` section instead of replacing it.
  knotAclFile = pkgs.writeText "dns-static-records-knot-acl.conf" ''
    acl:
      - id: ${cfg.knot.aclId}
        key: ${cfg.knot.keyName}
        action: [ transfer, update ]
  '';

  knotSettings = config.services.knot.settings or { };
  # Knot's zone and template sections, as lists or as attrsets by id
  knotSection =
    idName: section:
    let
      value = knotSettings.${section} or [ ];
    in
    if builtins.isList value then
      value
    else
      lib.mapAttrsToList (id: v: v // { ${idName} = id; }) value;
  asList = v: if builtins.isList v then v else [ v ];
  knotZone =
    zone: lib.findFirst (z: zoneKey (z.domain or "") == zoneKey zone) null (knotSection "domain" "zone");
  knotTemplate = id: lib.findFirst (t: (t.id or null) == id) null (knotSection "id" "template");
  zoneAcls =
    z:
    if z ? acl then
      asList z.acl
    else
      asList ((knotTemplate (z.template or "default")).acl or [ ]);
  # declared zones whose Knot zone (or its template) lacks our ACL
  knotZonesMissingAcl = lib.filter (
    zone:
    let
      z = knotZone zone;
    in
    z != null && !(builtins.elem cfg.knot.aclId (zoneAcls z))
  ) unitZones;
  knotZonesAbsent = lib.filter (zone: knotZone zone == null) unitZones;

  # -- node-exporter -------------------------------------------------------------

  nodeExporter = config.services.prometheus.exporters.node or { };
  nodeExporterFlags = lib.concatStringsSep " " (nodeExporter.extraFlags or [ ]);
  nodeExporterReadsMetrics =
    metricsDir != null
    && (nodeExporter.enable or false)
    && !(builtins.elem "textfile" (nodeExporter.disabledCollectors or [ ]))
    && builtins.any (flag: lib.hasInfix flag " ${nodeExporterFlags} ") [
      " --collector.textfile.directory=${metricsDir} "
      " --collector.textfile.directory ${metricsDir} "
      " --collector.textfile.directory=${metricsDir}/ "
    ];
in
{
  imports = [
    ./alerts.nix
    # contributions from other hosts, and their publishing unit
    (import ./publisher.nix {
      inherit
        zonesType
        serviceConfig
        dependencies
        applyOptions
        agentCommand
        ;
      ownDocument = document;
    })
  ];

  options.services.dnsStaticRecords = {
    enable = mkEnableOption "declarative static DNS records synchronised into Knot by RFC 2136 updates";

    package = mkOption {
      type = types.package;
      default = pkgs.callPackage ./package.nix { };
      defaultText = literalExpression "pkgs.callPackage ./nix/package.nix { }";
      description = "The dns-static-records package providing `dns-static-agent`.";
    };

    # -- where and how to reach the DNS server --

    dnsServer = mkOption {
      type = types.str;
      default = "127.0.0.1";
      example = "10.0.0.53";
      description = ''
        Address of the primary DNS server that receives the updates (AXFR and
        UPDATE). A literal address also confines the units to it
        (`IPAddressAllow=`); a host name leaves them unconfined.
      '';
    };

    port = mkOption {
      type = types.port;
      default = 53;
      description = "Port of {option}`services.dnsStaticRecords.dnsServer`.";
    };

    tsigKeyFile = mkOption {
      type = types.strMatching "/.+";
      example = "/run/secrets/nsupdate-tsig-key";
      description = ''
        Absolute path of the TSIG key used for AXFR and UPDATE, outside the
        Nix store (a string, not a Nix path literal, so it is never copied
        into the store). Passed to the units with `LoadCredential=`. Accepted
        forms: the nsupdate/BIND `key "name" { algorithm ...; secret "..."; };`
        block, Knot's `keymgr -t` YAML, or one line `hmac-sha256:name:SECRET`.
        With {option}`services.dnsStaticRecords.knot.configure` it must be
        Knot's YAML form and readable by the `knot` user.
      '';
    };

    timeout = mkOption {
      type = types.ints.between 1 86400;
      default = 300;
      description = ''
        Seconds one run of the agent may take as a whole (`--deadline`), however
        slowly the server answers. The units' `TimeoutStartSec=` is 30 s more;
        a failed sync unit is retried every ${toString restartSec} s, at most
        ${toString startLimitBurst} times.
      '';
    };

    # -- ownership --

    ownerPrefix = mkOption {
      type = types.str;
      default = "nix";
      description = ''
        First label of the ownership marker names: the agent owns an RRset
        `N`/`T` only while `<ownerPrefix>.N` holds the TXT
        `heritage=nix,managed-by=<managedBy>,type=T`.
      '';
    };

    managedBy = mkOption {
      type = types.str;
      default = config.networking.hostName;
      defaultText = literalExpression "config.networking.hostName";
      description = "Owner id written into the markers; records marked by another id are never touched.";
    };

    ttl = mkOption {
      type = ttlType;
      default = 300;
      description = "TTL of records that set none (neither on the record nor on a node), and of the ownership markers.";
    };

    # -- how to apply --

    dryRun = mkOption {
      type = types.bool;
      default = false;
      description = ''
        Run `dns-static-agent plan` instead of `apply`: the journal of each
        `dns-static-sync-<zone>` unit shows the planned changes, and no
        UPDATE is sent.
      '';
    };

    onConflict = mkOption {
      type = types.enum [
        "skip"
        "fail"
      ];
      default = "skip";
      description = ''
        What to do with a desired RRset that exists with other data, clashes
        with a CNAME, or is claimed by ExternalDNS: `skip` reports it and
        carries on, `fail` applies nothing and fails the unit.
      '';
    };

    adopt = mkOption {
      type = types.bool;
      default = true;
      description = "Take ownership (add only the marker) of existing unmarked RRsets whose data equals the desired data.";
    };

    maxDeleteFraction = mkOption {
      type = types.nullOr (types.numbers.between 0 1);
      default = null;
      example = 0.5;
      description = "Refuse a run that would delete more than this fraction of the owned RRsets (null: the agent's default).";
    };

    backupDir = mkOption {
      type = types.nullOr (types.strMatching "/.+");
      default = "${stateRoot}/backups";
      description = ''
        Directory where `apply` writes the zone (zone-file text,
        timestamped, mode 0600) before changing it; null disables backups.
        Under `${stateRoot}` it lives in the units' `StateDirectory`;
        elsewhere the module creates it (mode 0700, user `${user}`).
      '';
    };

    interval = mkOption {
      type = types.nullOr types.str;
      default = null;
      example = "15min";
      description = ''
        When set (a positive systemd time span, e.g. `15min`, `1h 30min`), a
        timer starts `dns-static-reconcile-<zone>.service` this long after
        activation and then this long after each run of it started, to
        repair drift. Null: sync only on activation and when the records
        change.
      '';
    };

    # -- metrics --

    metrics = {
      enable = mkEnableOption "the node-exporter textfile metrics";
      path = mkOption {
        type = types.strMatching "/.+";
        default = "/var/lib/prometheus-node-exporter/dns_static_records.prom";
        description = ''
          Metrics file (node-exporter textfile format, mode 0644), shared by
          the zones' units. The module creates its directory (mode 2775,
          group `${user}`); node-exporter reads it only when told to:
          `services.prometheus.exporters.node.extraFlags = [ "--collector.textfile.directory=<directory>" ];`
          (a warning says so when it is missing).
        '';
      };
    };

    takeOver = mkOption {
      type = types.listOf (types.strMatching "[^/ ]+/[A-Za-z0-9]+");
      default = [ ];
      example = [
        "internal/NS"
        "ns0.internal/A"
      ];
      description = ''
        Hand-made RRsets (absolute name `/` type) whose data the agent may
        replace with the declared data and then own (`--take-over`): for a
        migration, when the zone holds an unmarked RRset that differs from
        the declaration. Shown in the plan as `^ old → new take-over`, backed
        up first (needs `backupDir`). Each entry must name an RRset declared
        in `zones` (absolute name; an assertion names any that does not).
        Names DHCP, ExternalDNS or another
        owner claim are never taken over. Once taken over the RRset carries
        our marker, so the entry can be removed again.
      '';
    };

    # ExternalDNS's registry layouts (issue 9): which TXT names claim which records.
    externalDns.layouts = mkOption {
      type = types.listOf (
        types.submodule {
          options = {
            prefix = mkOption {
              type = layoutAffix;
              default = "";
              description = "ExternalDNS's `--txt-prefix` (may hold `%{record_type}` and dots).";
            };
            suffix = mkOption {
              type = layoutAffix;
              default = "";
              description = "ExternalDNS's `--txt-suffix` (may hold `%{record_type}` and dots).";
            };
            wildcardReplacement = mkOption {
              # part of one label: it replaces the `*` of a registry name
              type = types.strMatching "[A-Za-z0-9_-]*";
              default = "";
              description = "ExternalDNS's `--txt-wildcard-replacement`.";
            };
          };
        }
      );
      default = [ { } ];
      example = literalExpression ''[ { prefix = "k8s."; } { suffix = "-edns"; } ]'';
      description = ''
        The TXT registry settings of every ExternalDNS instance writing these
        zones, one entry per instance; the default is ExternalDNS's own
        default (no prefix, no suffix). A registry record that fits none of
        them is taken to claim every name it could stand for, and the
        agent's log says so: configure the layout to make claims exact.
      '';
    };

    # -- the Knot side, when Knot runs on this host --

    knot = {
      configure = mkEnableOption ''
        giving the local Knot ({option}`services.knot`) the agent's key and an
        ACL: {option}`services.dnsStaticRecords.tsigKeyFile` is included into
        Knot's configuration as it is (it must be Knot's `keymgr -t` YAML,
        readable by the `knot` user), and an ACL
        {option}`services.dnsStaticRecords.knot.aclId` allows `transfer` and
        `update` with that key. Every declared zone's Knot `zone` entry (or
        its template) must list that ACL; an assertion names the ones that
        do not'';
      keyName = mkOption {
        type = types.nullOr (types.strMatching "[A-Za-z0-9_.-]+");
        default = null;
        example = "dns-static-records";
        description = "The `id` of the key in {option}`services.dnsStaticRecords.tsigKeyFile` (the name given to `keymgr -t`).";
      };
      aclId = mkOption {
        type = types.strMatching "[A-Za-z0-9_.-]+";
        default = "dns-static-records";
        description = "Id of the Knot ACL the module adds; list it in the `acl` of the zones (or their template).";
      };
    };

    # -- the records --

    autoPtr = mkOption {
      type = types.bool;
      default = false;
      description = ''
        Generate a PTR for every A/AAAA record whose address has none, in the
        most specific reverse zone (`*.in-addr.arpa`, `*.ip6.arpa`) declared
        in {option}`services.dnsStaticRecords.zones`.
      '';
    };

    zones = mkOption {
      type = zonesType;
      default = { };
      visible = "shallow";
      example = literalExpression ''
        {
          "internal" = with dns.lib.combinators; {
            NS = [ "ns0.internal." ];
            subdomains = {
              ns0.A = [ "10.0.0.53" ];
              dns.CNAME = [ "ns0.internal." ];
              lab = {
                ttl = 60;
                A = [ "10.0.9.1" ];
              };
            };
          };
          "10.in-addr.arpa".subdomains."53.0.0".PTR = [ "ns0.internal." ];
        }
      '';
      description = ''
        Static records per zone, in dns.nix's zone shape without SOA: record
        lists by type (A, AAAA, CNAME, NS, PTR, TXT, MX, SRV, CAA), an
        optional `ttl` per node (for its records and its subdomains'), and
        `subdomains` (keys may contain dots). Each zone gets a oneshot unit
        `dns-static-sync-<zone>.service` (trailing dot dropped). The rendered
        document is checked by `dns-static-check` at build time.
      '';
    };

    checkedDocument = mkOption {
      type = types.package;
      readOnly = true;
      internal = true;
      description = "The rendered desired-state document, built only if dns-static-check accepts it.";
    };
  };

  # Reviewed exceptions (issue 10): kept in one block of their own.
  options.services.dnsStaticRecords.exceptions = mkOption {
    type = types.listOf (
      types.submodule {
        options = {
          rule = mkOption {
            type = types.str;
            example = "ptr-mismatch";
            description = "The checker's rule id, as its messages show it.";
          };
          zone = mkOption {
            type = types.str;
            example = "10.in-addr.arpa";
            description = "The zone of the finding.";
          };
          name = mkOption {
            type = types.str;
            example = "1.0.1";
            description = "The owner name relative to the zone (`@` for the apex), as messages show it.";
          };
          type = mkOption {
            type = types.nullOr types.str;
            default = null;
            example = "PTR";
            description = "The record type; null accepts the rule's findings of any type at the name.";
          };
          reason = mkOption {
            type = types.str;
            description = "Why the finding is acceptable; printed with it on every check.";
          };
        };
      }
    );
    default = [ ];
    example = literalExpression ''
      [
        {
          rule = "ptr-mismatch";
          zone = "10.in-addr.arpa";
          name = "1.0.1";
          type = "PTR";
          reason = "routy is multi-homed; routy.internal. resolves to 10.0.0.1 only";
        }
      ]
    '';
    description = ''
      Reviewed exceptions: checker findings you have looked at and accept
      (only rules about meaning, such as `ptr-mismatch`, `ptr-missing` or
      `cname-target`). An accepted finding no longer fails the build; the
      check prints it as `accepted[...]` with its reason. An exception that
      matches no finding is reported as a stale warning.
    '';
  };

  config = mkIf cfg.enable (
    lib.mkMerge [
      {
        services.dnsStaticRecords.checkedDocument = checkedDocument;

        assertions = [
          {
            assertion = !lib.hasPrefix "${builtins.storeDir}/" cfg.tsigKeyFile;
            message = "services.dnsStaticRecords.tsigKeyFile (${cfg.tsigKeyFile}) is in the Nix store, which is world-readable: point it at a secret outside the store.";
          }
          {
            # dryRun runs `plan`, which changes nothing and takes no backup
            assertion = cfg.dryRun || cfg.takeOver == [ ] || cfg.backupDir != null;
            message = "services.dnsStaticRecords.takeOver replaces hand-made records and needs a backup first: set backupDir (it is null).";
          }
          {
            assertion = cfg.takeOver == [ ] || undeclaredTakeOver == [ ];
            message = "services.dnsStaticRecords.takeOver: services.dnsStaticRecords.zones declares no RRset ${lib.concatMapStringsSep ", " builtins.toJSON undeclaredTakeOver}, so every zone's unit would refuse to run: give the absolute owner name and type of a declared RRset (e.g. ns0.internal/A, or internal/NS for the apex) or remove the entry.";
          }
          {
            assertion = builtins.all (l: l.prefix == "" || l.suffix == "") cfg.externalDns.layouts;
            message = "services.dnsStaticRecords.externalDns.layouts: an entry sets both prefix and suffix; ExternalDNS accepts only one of them.";
          }
          {
            assertion = builtins.match "[^][[:space:]]+" cfg.dnsServer != null;
            message = "services.dnsStaticRecords.dnsServer (${builtins.toJSON cfg.dnsServer}) must be one address or host name, without brackets or spaces (an IPv6 address as \"2001:db8::53\"; the port goes in services.dnsStaticRecords.port).";
          }
          {
            assertion = isLabel cfg.ownerPrefix;
            message = "services.dnsStaticRecords.ownerPrefix (\"${cfg.ownerPrefix}\") must be one DNS label: letters, digits, '_' and '-', 1-63 characters, no dots.";
          }
          {
            assertion = isLabel cfg.managedBy;
            message = "services.dnsStaticRecords.managedBy (\"${cfg.managedBy}\") must be one DNS label (letters, digits, '_' and '-', 1-63 characters): it is written into the ownership markers.";
          }
          {
            assertion = !(cfg.metrics.enable && lib.hasPrefix "${stateRoot}/" "${metricsDir}/");
            message = "services.dnsStaticRecords.metrics.path (${cfg.metrics.path}) is inside the units' state directory ${stateRoot} (mode 0750), which node-exporter cannot read: put it in a directory of its own, e.g. the default /var/lib/prometheus-node-exporter.";
          }
          {
            assertion = !cfg.metrics.enable || isPlainPath cfg.metrics.path;
            message = "services.dnsStaticRecords.metrics.path (${builtins.toJSON cfg.metrics.path}) must be an absolute path written plainly: no '.', '..' or empty segments, no trailing '/'.";
          }
          {
            assertion = !(cfg.metrics.enable && isPlainPath cfg.metrics.path) || dirProblem metricsDir "" == null;
            message = "services.dnsStaticRecords.metrics.path (${cfg.metrics.path}): its directory ${dirProblem metricsDir "/var/lib/prometheus-node-exporter (the default)"}.";
          }
          {
            assertion = cfg.backupDir == null || isPlainPath cfg.backupDir;
            message = "services.dnsStaticRecords.backupDir (${builtins.toJSON cfg.backupDir}) must be an absolute path written plainly: no '.', '..' or empty segments, no trailing '/'.";
          }
          {
            assertion = externalBackupDir == null || !isPlainPath cfg.backupDir || dirProblem cfg.backupDir "" == null;
            message = "services.dnsStaticRecords.backupDir: ${dirProblem cfg.backupDir "${stateRoot}/backups (the default)"}.";
          }
          {
            assertion = cfg.interval == null || isPositiveTimespan cfg.interval;
            message = "services.dnsStaticRecords.interval (${builtins.toJSON cfg.interval}) is not a positive systemd time span: write numbers with units such as \"15min\", \"1h 30min\" or \"900\" (seconds), or null for no timer.";
          }
          {
            assertion = lib.filter (lib.hasInfix "/") zoneNames == [ ];
            message = "services.dnsStaticRecords.zones: ${lib.concatMapStringsSep ", " builtins.toJSON (lib.filter (lib.hasInfix "/") zoneNames)}: a zone name with '/' (RFC 2317 classless delegation) makes no unit name; name the child zone with '-' instead (e.g. \"0-63.2.0.192.in-addr.arpa\", RFC 2317's other form), as its parent delegates it.";
          }
          {
            assertion = lib.all (z: lib.hasInfix "/" z) badZoneNames;
            message = "services.dnsStaticRecords.zones: ${lib.concatMapStringsSep ", " builtins.toJSON badZoneNames}: a zone name must be non-empty, hold only letters, digits, '_', '-' and '.', and be short enough for its unit name (${reconcileUnit "<zone>"}.service, at most 255 characters).";
          }
        ]
        ++ map (zs: {
          assertion = false;
          message = "services.dnsStaticRecords.zones: ${lib.concatMapStringsSep " and " builtins.toJSON zs} are the same zone (case and a trailing dot do not matter) and would share the unit ${syncUnit (builtins.head zs)}.service: declare it once.";
        }) clashes;

        warnings =
          lib.optional (cfg.zones == { }) "services.dnsStaticRecords is enabled but declares no zones: nothing will be synchronised."
          ++ lib.optional (isLoopback cfg.dnsServer && !knotLocal) "services.dnsStaticRecords.dnsServer is ${cfg.dnsServer} (this host) but services.knot.enable is false: the units will find no server unless Knot runs here outside NixOS's module. Set services.dnsStaticRecords.dnsServer to the primary's address, or enable services.knot."
          ++ lib.optional (
            cfg.metrics.enable && !nodeExporterReadsMetrics
          ) "services.dnsStaticRecords.metrics: ${cfg.metrics.path} is written, but node-exporter is not reading ${metricsDir}: enable services.prometheus.exporters.node with extraFlags = [ \"--collector.textfile.directory=${metricsDir}\" ] (nixpkgs' node exporter reads a textfile directory only through that flag).";

        environment.systemPackages = [ cfg.package ];

        users.users.${user} = {
          isSystemUser = true;
          group = user;
          description = "dns-static-records sync agent";
        };
        users.groups.${user} = { };

        systemd.tmpfiles.rules =
          lib.optional (metricsDir != null) "d ${quotePath metricsDir} 2775 root ${user} - -"
          ++ lib.optional (
            externalBackupDir != null
          ) "d ${quotePath externalBackupDir} 0700 ${user} ${user} - -";

        systemd.services = lib.listToAttrs (
          lib.concatMap (
            zone:
            [
              (lib.nameValuePair (syncUnit zone) (
                dependencies
                // {
                  description = "Synchronise static DNS records of zone ${zone}";
                  inherit documentation;
                  wantedBy = [ "multi-user.target" ];
                  restartTriggers = [ checkedDocument ];
                  # a boot-time failure (Knot not answering yet, network) is
                  # retried, a bounded number of times
                  startLimitBurst = startLimitBurst;
                  startLimitIntervalSec = startLimitBurst * (timeoutStartSec + restartSec) + 60;
                  serviceConfig = serviceConfig zone // {
                    RemainAfterExit = true;
                    Restart = "on-failure";
                    RestartSec = restartSec;
                    # usage errors and conflicts under onConflict = "fail" do not heal
                    RestartPreventExitStatus = [
                      2
                      3
                    ];
                  };
                }
              ))
            ]
            ++ lib.optional (cfg.interval != null) (
              lib.nameValuePair (reconcileUnit zone) (
                dependencies
                // {
                  description = "Repair drift of static DNS records of zone ${zone}";
                  inherit documentation;
                  after = dependencies.after ++ [ "${syncUnit zone}.service" ];
                  serviceConfig = serviceConfig zone;
                }
              )
            )
          ) unitZones
        );

        systemd.timers = lib.mkIf (cfg.interval != null) (
          lib.listToAttrs (
            map (
              zone:
              lib.nameValuePair (reconcileUnit zone) {
                description = "Periodic drift repair of static DNS records of zone ${zone}";
                inherit documentation;
                wantedBy = [ "timers.target" ];
                timerConfig = {
                  OnActiveSec = cfg.interval;
                  OnUnitActiveSec = cfg.interval;
                  RandomizedDelaySec = "30s";
                };
              }
            ) unitZones
          )
        );
      }

      (mkIf cfg.knot.configure {
        assertions = [
          {
            assertion = knotLocal;
            message = "services.dnsStaticRecords.knot.configure gives the local Knot the agent's key and ACL, but services.knot.enable is false on this host. For a Knot elsewhere, configure it there (README, \"Knot side\") and leave knot.configure off.";
          }
          {
            assertion = cfg.knot.keyName != null;
            message = "services.dnsStaticRecords.knot.configure needs services.dnsStaticRecords.knot.keyName: the `id` of the key in tsigKeyFile (the name given to `keymgr -t`), which the ACL names.";
          }
          {
            assertion = knotZonesMissingAcl == [ ];
            message = "services.dnsStaticRecords.knot.configure: Knot's zone ${lib.concatMapStringsSep ", " builtins.toJSON knotZonesMissingAcl} (or its template) does not list the ACL \"${cfg.knot.aclId}\", so the agent's updates would be refused (NOTAUTH). Add it, e.g. services.knot.settings.zone.<zone>.acl = [ \"${cfg.knot.aclId}\" ] (with the zone's other ACLs).";
          }
        ];
        warnings = lib.optional (
          knotLocal && (config.services.knot.settingsFile or null) == null && knotZonesAbsent != [ ]
        ) "services.dnsStaticRecords.knot.configure: services.knot.settings declares no zone ${lib.concatMapStringsSep ", " builtins.toJSON knotZonesAbsent}; the agent can only update zones Knot serves.";
        services.knot.keyFiles = mkIf (cfg.knot.keyName != null) [
          cfg.tsigKeyFile
          knotAclFile
        ];
      })
    ]
  );
}
