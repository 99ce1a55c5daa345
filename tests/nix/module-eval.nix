# Evaluate nix/module.nix with nixpkgs' lib alone: the NixOS options the
# module sets or reads are declared here with the types nixpkgs gives them
# (unit lists take unit names, serviceConfig takes systemd values, Knot's
# settings merge shallowly), `utils` escapes ExecStart words as nixpkgs'
# nixos/lib/utils.nix does, and pkgs is a fake. Used by test_module.py.
{
  nixpkgsLib, # path of nixpkgs' lib directory
  dnsNix ? null, # dns.nix source tree, or null for the untyped zones
  configuration, # the module under test's settings (a module)
  python ? "/usr/bin/python3",
}:
let
  lib = import nixpkgsLib;
  inherit (lib) mkOption types;

  # nixos/lib/systemd-lib.nix: a unit name as systemd accepts it
  unitNamePattern = "[a-zA-Z0-9@%:_.\\-]+[.](service|socket|device|mount|automount|swap|target|path|timer|scope|slice)";
  unitNameType = types.strMatching unitNamePattern;
  checkUnitName =
    name:
    if builtins.match unitNamePattern name != null && builtins.stringLength name <= 255 then
      name
    else
      throw "test: `${name}' is not a valid systemd unit name";

  # nixos/lib/systemd-unit-options.nix: what a [Service]/[Unit] value may be
  unitValue = types.oneOf [
    types.bool
    types.int
    types.str
    types.path
  ];
  unitOption = types.either unitValue (types.listOf unitValue);

  listOf = type: mkOption {
    type = types.listOf type;
    default = [ ];
  };
  section = mkOption {
    type = types.attrsOf unitOption;
    default = { };
  };
  unitOptions = {
    description = mkOption {
      type = types.singleLineStr;
      default = "";
    };
    documentation = listOf types.str;
    wants = listOf unitNameType;
    after = listOf unitNameType;
    before = listOf unitNameType;
    requires = listOf unitNameType;
    wantedBy = listOf unitNameType;
    restartTriggers = listOf types.unspecified;
    startLimitBurst = mkOption {
      type = types.nullOr types.int;
      default = null;
    };
    startLimitIntervalSec = mkOption {
      type = types.nullOr types.int;
      default = null;
    };
    unitConfig = section;
    serviceConfig = section;
    timerConfig = section;
  };

  # nixos/lib/utils.nix: every word JSON-quoted, `%` and `$` doubled
  utils = rec {
    escapeSystemdExecArg =
      arg:
      let
        s =
          if builtins.isPath arg then
            "${arg}"
          else if builtins.isString arg then
            arg
          else if builtins.isInt arg || builtins.isFloat arg || lib.isDerivation arg then
            toString arg
          else
            throw "escapeSystemdExecArg only allows strings, paths, numbers and derivations";
      in
      lib.replaceStrings [ "%" "$" ] [ "%%" "$$" ] (builtins.toJSON s);
    escapeSystemdExecArgs = lib.concatMapStringsSep " " escapeSystemdExecArg;
  };

  stubs =
    { ... }:
    {
      options = {
        assertions = listOf types.unspecified;
        warnings = listOf types.str;
        environment.systemPackages = listOf types.package;
        users.users = mkOption {
          type = types.attrsOf (
            types.submodule {
              options = {
                isSystemUser = mkOption {
                  type = types.bool;
                  default = false;
                };
                group = mkOption { type = types.str; };
                description = mkOption {
                  type = types.singleLineStr;
                  default = "";
                };
              };
            }
          );
          default = { };
        };
        users.groups = mkOption {
          type = types.attrsOf (types.submodule { });
          default = { };
        };
        systemd.services = mkOption {
          type = types.attrsOf (types.submodule { options = unitOptions; });
          default = { };
        };
        systemd.timers = mkOption {
          type = types.attrsOf (types.submodule { options = unitOptions; });
          default = { };
        };
        systemd.tmpfiles.rules = listOf types.str;
        networking.hostName = mkOption {
          type = types.str;
          default = "routy";
        };
        # nixos/modules/services/networking/knot.nix
        services.knot = {
          enable = mkOption {
            type = types.bool;
            default = false;
          };
          keyFiles = listOf types.path;
          settings = mkOption {
            type = types.attrs;
            default = { };
          };
          settingsFile = mkOption {
            type = types.nullOr types.path;
            default = null;
          };
        };
        # nixos/modules/services/monitoring/prometheus/exporters(/node).nix
        services.prometheus.exporters.node = {
          enable = mkOption {
            type = types.bool;
            default = false;
          };
          extraFlags = listOf types.str;
          enabledCollectors = listOf types.str;
          disabledCollectors = listOf types.str;
        };
        services.prometheus.ruleFiles = mkOption {
          type = types.listOf types.path;
          default = [ ];
        };
      };
      config._module.args = {
        inherit utils;
        pkgs = {
          buildPackages.python3 = builtins.dirOf (builtins.dirOf python);
          stdenv.buildPlatform.system = builtins.currentSystem;
          callPackage = _: _: throw "test: set services.dnsStaticRecords.package";
          writeText = builtins.toFile;
        };
      };
    };
  fakePackage = {
    type = "derivation";
    name = "dns-static-records-test";
    outPath = "/fake/dns-static-records";
  };
  eval = lib.evalModules {
    modules = [
      stubs
      (import ../../nix/module.nix { dns = dnsNix; })
      { services.dnsStaticRecords.package = lib.mkDefault fakePackage; }
      configuration
    ];
  };
  inherit (eval) config;
  checkNames = suffix: attrs: lib.mapAttrs' (n: v: lib.nameValuePair (checkUnitName "${n}${suffix}") v) attrs;
in
{
  inherit eval config;
  # what test_module.py looks at, JSON-ready; unit names as systemd sees them
  result = {
    failedAssertions = map (a: a.message) (builtins.filter (a: !a.assertion) config.assertions);
    inherit (config) warnings;
    services = lib.mapAttrs' (n: v: lib.nameValuePair (lib.removeSuffix ".service" n) v) (
      checkNames ".service" config.systemd.services
    );
    timers = lib.mapAttrs' (n: v: lib.nameValuePair (lib.removeSuffix ".timer" n) v) (
      checkNames ".timer" config.systemd.timers
    );
    tmpfiles = config.systemd.tmpfiles.rules;
    users = config.users.users;
    groups = builtins.attrNames config.users.groups;
    knotKeyFiles = map toString config.services.knot.keyFiles;
    ruleFiles = map toString config.services.prometheus.ruleFiles;
    checkedDocument =
      if config.services.dnsStaticRecords.enable then
        config.services.dnsStaticRecords.checkedDocument.drvPath
      else
        null;
  };
}
