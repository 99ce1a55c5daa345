# NixOS VM test: the seed's Verification section end to end.
#
# One node runs Knot with the zones `internal`, `10.in-addr.arpa` and
# `s3.garage.internal` and this module. DHCP- and ExternalDNS-style records
# are written first with knsupdate; then specialisations switch the module
# on in dry-run mode (zone unchanged), for real (records + markers, foreign
# records untouched, metrics), and to changed records (add/remove/modify).
#
# Run: nix build .#checks.x86_64-linux.vm  (or `nix flake check`);
# debug: nix run .#checks.x86_64-linux.vm.driverInteractive
{
  pkgs,
  module,
}:
let
  inherit (pkgs) lib;
  scenario = import ./scenario.nix;
  inherit (scenario) tsig;

  # Test only: a key in the store is acceptable for a throw-away VM.
  knotKeyFile = pkgs.writeText "tsig.conf" ''
    key:
      - id: ${tsig.name}
        algorithm: ${tsig.algorithm}
        secret: ${tsig.secret}
  '';
  keyLine = "${tsig.algorithm}:${tsig.name}:${tsig.secret}";

  zoneFile =
    zone: pkgs.writeText "${zone}.zone" (lib.concatStringsSep "\n" scenario.zoneFiles.${zone} + "\n");
  zoneNames = builtins.attrNames scenario.zoneFiles;

  # JSON-able part of the scenario for the test script
  data = builtins.toJSON {
    inherit (scenario) foreign expected expectedMetrics;
    zones = zoneNames;
  };
in
pkgs.testers.runNixOSTest {
  name = "dns-static-records";

  nodes.routy =
    { lib, ... }:
    {
      imports = [ module ];

      networking.hostName = "routy";
      networking.firewall.enable = false;
      environment.systemPackages = [ pkgs.knot-dns ];

      # The agent's key, outside the store (the module refuses store paths):
      # environment.etc with a mode copies the file instead of linking it.
      environment.etc."dns-static-records/update.key" = {
        text = keyLine;
        mode = "0400";
      };

      # Writable zone files, so Knot can keep (flush) dynamic updates.
      systemd.tmpfiles.rules = [
        "d /var/lib/knot/zones 0750 knot knot - -"
      ]
      ++ map (z: "C /var/lib/knot/zones/${z}.zone 0640 knot knot - ${zoneFile z}") zoneNames;

      services.knot = {
        enable = true;
        keyFiles = [ knotKeyFile ];
        settings = {
          server.listen = [
            "127.0.0.1@53"
            "::1@53"
          ];
          acl = [
            {
              id = "update_key";
              key = tsig.name;
              action = [
                "transfer"
                "update"
              ];
            }
          ];
          # keep dynamic updates across restarts (knot-notes.md)
          template = [
            {
              id = "default";
              storage = "/var/lib/knot/zones";
              file = "%s.zone";
              acl = [ "update_key" ];
              zonefile-load = "whole";
              journal-content = "changes";
              zonefile-sync = 0;
              serial-policy = "unixtime";
            }
          ];
          zone = map (domain: { inherit domain; }) zoneNames;
          log = [
            {
              target = "syslog";
              any = "info";
            }
          ];
        };
      };

      # Declared but off in the base system: foreign records come first.
      services.dnsStaticRecords = {
        enable = lib.mkDefault false;
        tsigKeyFile = "/etc/dns-static-records/update.key";
        inherit (scenario) managedBy ownerPrefix zones;
        metrics.enable = true;
      };

      specialisation = {
        dryrun.configuration = {
          services.dnsStaticRecords = {
            enable = true;
            dryRun = true;
            zones = lib.mkForce scenario.changedZones;
          };
        };
        applied.configuration = {
          services.dnsStaticRecords.enable = true;
        };
        changed.configuration = {
          services.dnsStaticRecords = {
            enable = true;
            zones = lib.mkForce scenario.changedZones;
          };
        };
      };
    };

  testScript =
    { nodes, ... }:
    let
      toplevel = nodes.routy.system.build.toplevel;
    in
    ''
      import json

      scenario = json.loads(${builtins.toJSON data})
      KEY = "/etc/dns-static-records/update.key"
      METRICS = "${nodes.routy.services.dnsStaticRecords.metrics.path}"


      def switch(name):
          routy.succeed(f"${toplevel}/specialisation/{name}/bin/switch-to-configuration test")
          for zone in scenario["zones"]:
              routy.wait_for_unit(f"dns-static-sync-{zone}.service")


      def rrset(name, rtype):
          out = routy.succeed(f"kdig @127.0.0.1 +short {name} {rtype}")
          lines = [line.strip() for line in out.splitlines() if line.strip()]
          if rtype == "DHCID":  # base64 in one piece, however it is wrapped
              lines = [line.replace(" ", "") for line in lines]
          return sorted(lines)


      def verify(stage):
          expected = scenario["expected"][stage]
          for rr in expected["present"]:
              got = rrset(rr["name"], rr["type"])
              assert got == sorted(rr["data"]), f"{stage}: {rr['name']} {rr['type']}: {got}"
          for rr in expected["absent"]:
              got = rrset(rr["name"], rr["type"])
              assert got == [], f"{stage}: {rr['name']} {rr['type']} should be absent: {got}"


      def axfr_all():
          return {
              zone: routy.succeed(f"kdig @127.0.0.1 -k {KEY} AXFR {zone} +noall +answer")
              for zone in scenario["zones"]
          }


      start_all()
      routy.wait_for_unit("knot.service")
      routy.wait_for_open_port(53)

      with subtest("foreign DHCP and ExternalDNS records are seeded first"):
          for rr in scenario["foreign"]:
              script = (
                  f"server 127.0.0.1\nzone {rr['zone']}.\n"
                  f"add {rr['name']} {rr['ttl']} {rr['type']} {rr['data']}\nsend\n"
              )
              routy.succeed(f"knsupdate -k {KEY} <<'EOF'\n{script}EOF")
          verify("seeded")

      with subtest("dryRun plans but leaves every zone unchanged"):
          before = axfr_all()
          switch("dryrun")
          routy.succeed("journalctl -u dns-static-sync-internal.service | grep -i internal")
          assert axfr_all() == before, "dry run changed a zone"

      with subtest("apply: records and markers, foreign records untouched"):
          switch("applied")
          verify("applied")

      with subtest("metrics file"):
          metrics = routy.succeed(f"cat {METRICS}")
          for line in scenario["expectedMetrics"]:
              assert line in metrics, f"missing metric line: {line}\n{metrics}"

      with subtest("records survive a Knot restart and the agent re-applies"):
          routy.succeed("systemctl restart knot.service")
          routy.wait_for_unit("knot.service")
          routy.wait_for_unit("dns-static-sync-internal.service")
          verify("applied")

      with subtest("lifecycle: add, remove, modify"):
          switch("changed")
          verify("changed")

      with subtest("a second run changes nothing"):
          serials = {z: rrset(z, "SOA") for z in scenario["zones"]}
          routy.succeed("systemctl restart dns-static-sync-internal.service")
          assert rrset("internal", "SOA") == serials["internal"], "idempotent run changed the zone"
    '';
}
