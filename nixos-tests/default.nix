# NixOS VM test: the seed's Verification section end to end.
#
# One node runs Knot with the zones `internal`, `10.in-addr.arpa` and
# `s3.garage.internal` and this module. The agent's TSIG key is made at boot
# with `keymgr -t`, outside the store, and the module gives it to Knot with
# an ACL (`knot.configure`). DHCP- and ExternalDNS-style records are written
# first with knsupdate while the module declares no zones; then
# specialisations declare them as a dry run (zone unchanged, the plan in the
# journal), for real (records + markers, foreign records untouched, metrics
# read by node-exporter), and changed (add/remove/modify).
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

  keyDir = "/var/lib/dns-static-records-key";
  keyFile = "${keyDir}/${tsig.name}.conf";
  metricsDir = "/var/lib/prometheus-node-exporter";

  zoneFile =
    zone: pkgs.writeText "${zone}.zone" (lib.concatStringsSep "\n" scenario.zoneFiles.${zone} + "\n");
  zoneNames = builtins.attrNames scenario.zoneFiles;

  # JSON-able part of the scenario for the test script
  data = builtins.toJSON {
    inherit (scenario)
      foreign
      expected
      expectedMetrics
      dryRunPlan
      ;
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
      environment.systemPackages = [
        pkgs.knot-dns
        pkgs.curl
      ];

      # The key, made on the machine before Knot starts: never in the store.
      # Knot's YAML form (keymgr -t), readable by Knot (group knot) and by
      # root, who hands it to the units with LoadCredential=.
      systemd.services.dns-test-tsig-key = {
        description = "Make the test's TSIG key outside the Nix store";
        wantedBy = [ "knot.service" ];
        before = [ "knot.service" ];
        serviceConfig = {
          Type = "oneshot";
          RemainAfterExit = true;
        };
        script = ''
          install -d -m 0750 -g knot ${keyDir}
          if [ ! -e ${keyFile} ]; then
            ${pkgs.knot-dns}/bin/keymgr -t ${tsig.name} ${tsig.algorithm} > ${keyFile}.tmp
            chgrp knot ${keyFile}.tmp
            chmod 0440 ${keyFile}.tmp
            mv ${keyFile}.tmp ${keyFile}
          fi
        '';
      };
      systemd.services.knot = {
        requires = [ "dns-test-tsig-key.service" ];
        after = [ "dns-test-tsig-key.service" ];
      };

      # Writable zone files, so Knot can keep (flush) dynamic updates.
      systemd.tmpfiles.rules = [
        "d /var/lib/knot/zones 0750 knot knot - -"
      ]
      ++ map (z: "C /var/lib/knot/zones/${z}.zone 0640 knot knot - ${zoneFile z}") zoneNames;

      services.knot = {
        enable = true;
        settings = {
          server.listen = [
            "127.0.0.1@53"
            "::1@53"
          ];
          # keep dynamic updates across restarts (knot-notes.md); the ACL
          # comes from the module (knot.configure)
          template = [
            {
              id = "default";
              storage = "/var/lib/knot/zones";
              file = "%s.zone";
              acl = [ "dns-static-records" ];
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

      services.prometheus.exporters.node = {
        enable = true;
        extraFlags = [ "--collector.textfile.directory=${metricsDir}" ];
      };

      # Enabled with no zones in the base system (Knot gets the key and the
      # ACL; no unit runs), so foreign records come first.
      services.dnsStaticRecords = {
        enable = true;
        tsigKeyFile = keyFile;
        knot = {
          configure = true;
          keyName = tsig.name;
        };
        inherit (scenario) managedBy ownerPrefix;
        externalDns.layouts = scenario.externalDnsLayouts;
        zones = lib.mkDefault { };
        metrics = {
          enable = true;
          path = "${metricsDir}/dns_static_records.prom";
        };
      };

      specialisation = {
        dryrun.configuration.services.dnsStaticRecords = {
          dryRun = true;
          zones = scenario.changedZones;
        };
        applied.configuration.services.dnsStaticRecords.zones = scenario.zones;
        changed.configuration.services.dnsStaticRecords.zones = scenario.changedZones;
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
      KEY = "${keyFile}"
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
              zone: routy.succeed(f"kdig @127.0.0.1 -y {KEYLINE} AXFR {zone} +noall +answer")
              for zone in scenario["zones"]
          }


      start_all()
      routy.wait_for_unit("knot.service")
      routy.wait_for_open_port(53)
      # kdig and knsupdate take the one-line form keymgr -t writes first
      KEYLINE = routy.succeed(f"head -n 1 {KEY}").strip().lstrip("#").strip()

      with subtest("the key stays outside the store"):
          routy.succeed(f"test $(stat -c %a {KEY}) = 440")
          routy.succeed(f"grep -Fx 'include: {KEY}' /etc/knot/knot.conf")
          secret = KEYLINE.split(":")[-1]
          routy.fail(f"grep -F -e '{secret}' $(readlink -f /etc/knot/knot.conf)")

      with subtest("foreign DHCP and ExternalDNS records are seeded first"):
          for rr in scenario["foreign"]:
              script = (
                  f"server 127.0.0.1\nzone {rr['zone']}.\n"
                  f"add {rr['name']} {rr['ttl']} {rr['type']} {rr['data']}\nsend\n"
              )
              routy.succeed(f"knsupdate -y {KEYLINE} <<'EOF'\n{script}EOF")
          verify("seeded")

      with subtest("dryRun plans but leaves every zone unchanged"):
          before = axfr_all()
          switch("dryrun")
          for zone, lines in scenario["dryRunPlan"].items():
              journal = routy.succeed(f"journalctl -u dns-static-sync-{zone}.service -o cat")
              for line in lines:
                  assert line in journal, f"dry run of {zone} did not plan {line!r}:\n{journal}"
          assert axfr_all() == before, "dry run changed a zone"

      with subtest("apply: records and markers, foreign records untouched"):
          switch("applied")
          verify("applied")
          print(routy.succeed("systemd-analyze security dns-static-sync-internal.service"))

      with subtest("metrics file, read by node-exporter"):
          metrics = routy.succeed(f"cat {METRICS}")
          for line in scenario["expectedMetrics"]:
              assert line in metrics, f"missing metric line: {line}\n{metrics}"
          routy.wait_for_open_port(9100)
          exported = routy.succeed("curl -sf http://127.0.0.1:9100/metrics")
          for line in scenario["expectedMetrics"]:
              assert line in exported, f"node-exporter does not export: {line}"

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
