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
{
  dns ? null,
}:
{
  config,
  lib,
  pkgs,
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
  dnsLib =
    if dns == null then
      null
    else
      import (if builtins.isPath dns then dns + "/dns" else "${dns}/dns") { inherit lib; };
  staticLib = import ./lib.nix;

  # Static group for the directories node-exporter reads and the units
  # (running as the shared dynamic user `dns-static-records`) write.
  filesGroup = "dns-static-records-files";
  stateRoot = "/var/lib/dns-static-records";

  label = "[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?";
  isLabel = s: builtins.match label s != null;

  # Unit name for a zone: the zone as written, without a trailing dot
  # ("internal." and "internal" both give dns-static-sync-internal).
  unitZone = zone: lib.removeSuffix "." zone;
  syncUnit = zone: "dns-static-sync-${unitZone zone}";
  reconcileUnit = zone: "dns-static-reconcile-${unitZone zone}";

  document = staticLib.render {
    inherit (cfg) zones managedBy ownerPrefix autoPtr;
    inherit (cfg) ttl;
    externalDnsLayouts = cfg.externalDns.layouts;
  };
  checkedDocument = staticLib.check {
    inherit document;
    python = "${pkgs.buildPackages.python3}/bin/python3";
    system = pkgs.stdenv.buildPlatform.system;
    # an invalid managedBy is reported by an assertion, not by a store-path error
    name = "dns-static-records-${if isLabel cfg.managedBy then cfg.managedBy else "invalid-owner"}.json";
  };

  metricsDir = if cfg.metrics.enable then dirOf cfg.metrics.path else null;
  backupInState = cfg.backupDir != null && lib.hasPrefix "${stateRoot}/" "${cfg.backupDir}/";
  extraDirs =
    lib.optional (metricsDir != null) metricsDir
    ++ lib.optional (cfg.backupDir != null && !backupInState) cfg.backupDir;

  # One ExecStart word: systemd specifiers (%) escaped, quoted when needed.
  execArg =
    a:
    let
      s = lib.replaceStrings [ "%" ] [ "%%" ] (toString a);
    in
    if builtins.match "[A-Za-z0-9_./:@=+,-]+" s != null then
      s
    else
      "\"${lib.escape [ "\\" "\"" ] s}\"";

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
        (toString cfg.port)
        "--zone"
        zone
      ];
    in
    if cfg.dryRun then
      [ "plan" ] ++ common ++ takeOverArgs
    else
      [ "apply" ] ++ common ++ takeOverArgs ++ applyOptions;

  # `apply`'s options from the settings (publish.nix passes them on too)
  applyOptions =
    [
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

  # The ExecStart line running the agent with `args`.
  agentCommand =
    args:
    lib.concatStringsSep " " (
      [ "${cfg.package}/bin/dns-static-agent" ]
      ++ map execArg args
      # %d is the credentials directory; left unescaped on purpose
      ++ [
        "--key-file"
        "%d/key"
      ]
    );

  execStart = zone: agentCommand (agentArgs zone);

  knotLocal = config.services.knot.enable or false;

  serviceConfig = zone: {
    Type = "oneshot";
    ExecStart = execStart zone;
    LoadCredential = [ "key:${cfg.tsigKeyFile}" ];
    DynamicUser = true;
    User = "dns-static-records";
    Group = "dns-static-records";
    SupplementaryGroups = lib.optional (extraDirs != [ ]) filesGroup;
    StateDirectory = "dns-static-records";
    StateDirectoryMode = "0750";
    ReadWritePaths = extraDirs;
    UMask = "0022";
    # hardening
    ProtectSystem = "strict";
    ProtectHome = true;
    PrivateTmp = true;
    PrivateDevices = true;
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
  }
  // lib.optionalAttrs cfg.dryRun {
    # `plan` exits 4 when changes are pending: that is what dryRun is for
    SuccessExitStatus = [ 4 ];
  };

  dependencies = {
    wants = [ "network-online.target" ];
    after = [ "network-online.target" ] ++ lib.optional knotLocal "knot.service";
    requires = lib.optional knotLocal "knot.service";
  };

  zonesType =
    if dnsLib == null then
      types.attrsOf types.anything
    else
      types.attrsOf dnsLib.types.subzone;
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

    dnsServer = mkOption {
      type = types.str;
      default = "127.0.0.1";
      example = "10.0.0.53";
      description = "Address of the primary DNS server that receives the updates (AXFR and UPDATE).";
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
      '';
    };

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
      type = types.ints.between 0 2147483647;
      default = 300;
      description = "TTL of records that set none, and of the ownership markers.";
    };

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
        Directory where `apply` writes the zone (zone-file text, timestamped)
        before changing it; null disables backups. Under
        `${stateRoot}` it lives in the units' `StateDirectory`; elsewhere the
        module creates it (group `${filesGroup}`).
      '';
    };

    interval = mkOption {
      type = types.nullOr types.str;
      default = null;
      example = "15min";
      description = ''
        When set, a timer runs `dns-static-reconcile-<zone>.service` this long
        after the last run (systemd time span) to repair drift. Null: sync
        only on activation and when the records change.
      '';
    };

    metrics = {
      enable = mkEnableOption "the node-exporter textfile metrics";
      path = mkOption {
        type = types.strMatching "/.+";
        default = "/var/lib/prometheus-node-exporter/dns_static_records.prom";
        description = ''
          Metrics file (node-exporter textfile format), shared by the zones'
          units. The module creates its directory (mode 2775, group
          `${filesGroup}`) so node-exporter's textfile collector can read it.
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
        up first (needs `backupDir`). Names DHCP, ExternalDNS or another
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
              type = types.str;
              default = "";
              description = "ExternalDNS's `--txt-prefix` (may hold `%{record_type}` and dots).";
            };
            suffix = mkOption {
              type = types.str;
              default = "";
              description = "ExternalDNS's `--txt-suffix` (may hold `%{record_type}` and dots).";
            };
            wildcardReplacement = mkOption {
              type = types.str;
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
            };
          };
          "10.in-addr.arpa".subdomains."53.0.0".PTR = [ "ns0.internal." ];
        }
      '';
      description = ''
        Static records per zone, in dns.nix's zone shape without SOA: record
        lists by type (A, AAAA, CNAME, NS, PTR, TXT, MX, SRV, CAA) and
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

  config = mkIf cfg.enable {
    services.dnsStaticRecords.checkedDocument = checkedDocument;

    assertions = [
      {
        assertion = !lib.hasPrefix "${builtins.storeDir}/" cfg.tsigKeyFile;
        message = "services.dnsStaticRecords.tsigKeyFile (${cfg.tsigKeyFile}) is in the Nix store, which is world-readable: point it at a secret outside the store.";
      }
      {
        assertion = cfg.takeOver == [ ] || cfg.backupDir != null;
        message = "services.dnsStaticRecords.takeOver replaces hand-made records and needs a backup first: set backupDir (it is null).";
      }
      {
        assertion = builtins.all (l: l.prefix == "" || l.suffix == "") cfg.externalDns.layouts;
        message = "services.dnsStaticRecords.externalDns.layouts: an entry sets both prefix and suffix; ExternalDNS accepts only one of them.";
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
        assertion = builtins.all (z: builtins.match "[A-Za-z0-9_.-]+" z != null) (
          builtins.attrNames cfg.zones
        );
        message = "services.dnsStaticRecords.zones: zone names may hold only letters, digits, '_', '-' and '.' (they name the systemd units).";
      }
    ];

    warnings = lib.optional (cfg.zones == { }) "services.dnsStaticRecords is enabled but declares no zones: nothing will be synchronised.";

    environment.systemPackages = [ cfg.package ];

    users.groups = lib.mkIf (extraDirs != [ ]) { ${filesGroup} = { }; };

    systemd.tmpfiles.rules = map (d: "d ${d} 2775 root ${filesGroup} - -") extraDirs;

    systemd.services = lib.mkMerge (
      lib.mapAttrsToList (
        zone: _:
        {
          ${syncUnit zone} = dependencies // {
            description = "Synchronise static DNS records of zone ${zone}";
            wantedBy = [ "multi-user.target" ];
            restartTriggers = [ checkedDocument ];
            serviceConfig = serviceConfig zone // {
              RemainAfterExit = true;
            };
          };
        }
        // lib.optionalAttrs (cfg.interval != null) {
          ${reconcileUnit zone} = dependencies // {
            description = "Repair drift of static DNS records of zone ${zone}";
            after = dependencies.after ++ [ "${syncUnit zone}.service" ];
            serviceConfig = serviceConfig zone;
          };
        }
      ) cfg.zones
    );

    systemd.timers = lib.mkIf (cfg.interval != null) (
      lib.mapAttrs' (
        zone: _:
        lib.nameValuePair (reconcileUnit zone) {
          description = "Periodic drift repair of static DNS records of zone ${zone}";
          wantedBy = [ "timers.target" ];
          timerConfig = {
            OnActiveSec = cfg.interval;
            OnUnitActiveSec = cfg.interval;
            RandomizedDelaySec = "30s";
          };
        }
      ) cfg.zones
    );
  };
}
