# Several hosts, one zone: the options and units of
# services.dnsStaticRecords.contributions (on any host) and
# services.dnsStaticRecords.collected (on the publishing host).
#
# Imported by module.nix, which hands over what both share: the zones type,
# the owner's own rendered document, the units' hardened serviceConfig and
# dependencies, apply's options and the ExecStart line.
{
  zonesType,
  ownDocument,
  serviceConfig,
  dependencies,
  applyOptions,
  agentCommand,
}:
{
  config,
  lib,
  pkgs,
  ...
}:
let
  inherit (lib) mkIf mkOption types;
  cfg = config.services.dnsStaticRecords;
  staticLib = import ./lib.nix;

  unit = "dns-static-publish";
  reconcileUnit = "dns-static-publish-reconcile";
  stateFile = "/var/lib/dns-static-records/published-owners.json";

  isLabel = s: builtins.match "[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?" s != null;
  collected = if cfg.collected == null then { } else cfg.collected;
  owners = builtins.attrNames collected;
  badOwners = builtins.filter (o: !isLabel o) owners;
  safeName = o: if isLabel o then o else "invalid-owner";

  documents = staticLib.contributedDocuments {
    collected = lib.mapAttrs (_: c: { inherit (c) host zones exceptions; }) collected;
    inherit (cfg) ownerPrefix ttl;
    externalDnsLayouts = cfg.externalDns.layouts;
  };
  # Every owner's document in one check, the publisher's own included, so
  # a name two hosts declare fails the build with both sources.
  checked = staticLib.checkTogether {
    documents = lib.mapAttrs' (o: d: lib.nameValuePair (safeName o) d) (
      documents // { ${cfg.managedBy} = ownDocument; }
    );
    python = "${pkgs.buildPackages.python3}/bin/python3";
    system = pkgs.stdenv.buildPlatform.system;
  };

  publishArgs =
    [ "publish" ]
    ++ lib.concatMap (o: [
      "--desired"
      "${checked}/${safeName o}.json"
    ]) owners
    ++ [
      "--state-file"
      stateFile
      "--server"
      cfg.dnsServer
      "--port"
      (toString cfg.port)
    ]
    # a dry run plans every owner and removal, and writes nothing
    ++ (if cfg.dryRun then [ "--dry-run" ] else applyOptions);

  # The own units' hardening and credentials, with our ExecStart.
  publishServiceConfig = serviceConfig "publish" // {
    ExecStart = agentCommand publishArgs;
  };

  publishing = cfg.enable && cfg.collected != null;
in
{
  options.services.dnsStaticRecords = {
    contributions = mkOption {
      type = zonesType;
      default = { };
      visible = "shallow";
      example = lib.literalExpression ''
        {
          "internal".subdomains = {
            auth.A = [ "10.0.0.7" ];
            vault.CNAME = [ "auth.internal." ];
          };
        }
      '';
      description = ''
        Records this host contributes to zones another host publishes, in
        the shape of {option}`services.dnsStaticRecords.zones`. Needs no
        agent here (`enable` may stay false): the publishing host collects
        them with `dns-static-records.lib.collectContributions
        self.nixosConfigurations` and applies them with this host's
        {option}`services.dnsStaticRecords.managedBy` (its host name) as the
        owner id in the markers.
      '';
    };

    collected = mkOption {
      type = types.nullOr (types.attrsOf (
        types.submodule {
          options = {
            host = mkOption {
              type = types.str;
              description = "The contributing host's attribute name in nixosConfigurations.";
            };
            zones = mkOption {
              type = types.attrsOf types.anything;
              description = "The host's contributions (zones shape).";
            };
            exceptions = mkOption {
              type = types.listOf types.anything;
              default = [ ];
              description = "The host's reviewed exceptions (its `services.dnsStaticRecords.exceptions`), accepting findings about its own contributed records.";
            };
          };
        }
      ));
      default = null;
      example = lib.literalExpression "dns-static-records.lib.collectContributions self.nixosConfigurations";
      description = ''
        On the publishing host: the records other hosts contribute, keyed by
        owner id, as `collectContributions` returns them. Every owner's
        document is checked together with this host's own at build time (a
        name two hosts declare fails the build naming both), and
        `${unit}.service` applies each under its own owner id. An owner
        that disappears from here (a host that stops contributing, or is
        removed) has its records removed by its marker id on the next run;
        nothing of another owner is touched. Keep setting it when no host
        contributes any more (`{ }`), so the last one's records go too; null
        (the default) means this host publishes no contributions.
      '';
    };
  };

  config = mkIf publishing {
    assertions = [
      {
        assertion = badOwners == [ ];
        message = "services.dnsStaticRecords.collected: owner id(s) ${lib.concatStringsSep ", " badOwners} must be one DNS label each (letters, digits, '_' and '-', 1-63 characters): set that host's networking.hostName or services.dnsStaticRecords.managedBy.";
      }
      {
        assertion = !(collected ? ${cfg.managedBy});
        message = "services.dnsStaticRecords.collected holds owner \"${cfg.managedBy}\" (host ${
          collected.${cfg.managedBy}.host or "?"
        }), which is this host's own managedBy: declare this host's records in services.dnsStaticRecords.zones, not in contributions.";
      }
    ];

    systemd.services = {
      ${unit} = dependencies // {
        description = "Publish the static DNS records other hosts contribute";
        wantedBy = [ "multi-user.target" ];
        restartTriggers = [ checked ];
        serviceConfig = publishServiceConfig // {
          RemainAfterExit = true;
        };
      };
    }
    // lib.optionalAttrs (cfg.interval != null) {
      ${reconcileUnit} = dependencies // {
        description = "Repair drift of the static DNS records other hosts contribute";
        after = dependencies.after ++ [ "${unit}.service" ];
        serviceConfig = publishServiceConfig;
      };
    };

    systemd.timers = mkIf (cfg.interval != null) {
      ${reconcileUnit} = {
        description = "Periodic drift repair of the static DNS records other hosts contribute";
        wantedBy = [ "timers.target" ];
        timerConfig = {
          OnActiveSec = cfg.interval;
          OnUnitActiveSec = cfg.interval;
          RandomizedDelaySec = "30s";
        };
      };
    };
  };
}
