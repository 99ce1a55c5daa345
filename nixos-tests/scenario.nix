# The seed's Verification section as data, shared by the NixOS VM test
# (nixos-tests/default.nix) and pytest (tests/nix/test_scenario.py), which
# replays it against a real knotd on 127.0.0.1.
#
# Plain Nix, no nixpkgs and no dns.nix: string and attrset record forms.
# Names in `foreign` and `expected` are absolute.
rec {
  managedBy = "routy";
  ownerPrefix = "nix";
  # The ExternalDNS of `foreign` runs with --txt-prefix=k8s.; unconfigured,
  # its legacy marker k8s.forge could stand for the apex (a prefix
  # "k8s.forge.") and keep every type ExternalDNS writes there from us.
  externalDnsLayouts = [ { prefix = "k8s."; } ];

  # The agent's TSIG key: the VM test makes it at boot with `keymgr -t`
  # (outside the store), so only its name and algorithm are here.
  tsig = {
    name = "update";
    algorithm = "hmac-sha256";
  };

  # What Knot's zone files hold before anything else runs. ns0's A is there
  # already (made by hand long ago): the agent adopts it.
  zoneFiles = {
    "internal" = [
      "@ 300 SOA ns0.internal. hostmaster.internal. 1 3600 900 604800 300"
      "@ 300 NS ns0.internal."
      "ns0 300 A 10.0.0.53"
    ];
    "10.in-addr.arpa" = [
      "@ 300 SOA ns0.internal. hostmaster.internal. 1 3600 900 604800 300"
      "@ 300 NS ns0.internal."
    ];
    "s3.garage.internal" = [
      "@ 300 SOA ns0.internal. hostmaster.internal. 1 3600 900 604800 300"
      "@ 300 NS ns0.internal."
    ];
  };

  # The declared records, first deployment.
  zones = {
    "internal" = {
      NS = [ "ns0.internal." ];
      TXT = [ "v=spf1 -all" ];
      SRV = [
        {
          service = "sip";
          proto = "tcp";
          priority = 0;
          weight = 5;
          port = 5060;
          target = "routy.internal.";
        }
      ];
      subdomains = {
        ns0.A = [ "10.0.0.53" ];
        routy.A = [ "10.0.0.1" ];
        dns.CNAME = [ "ns0.internal." ];
      };
    };
    "10.in-addr.arpa" = {
      NS = [ "ns0.internal." ];
      subdomains = {
        "53.0.0".PTR = [ "ns0.internal." ];
        "1.0.0".PTR = [ "routy.internal." ];
        "60.0.0".PTR = [ "api.s3.garage.internal." ];
      };
    };
    "s3.garage.internal" = {
      NS = [ "ns0.internal." ];
      subdomains.api.A = [ { address = "10.0.0.60"; } ];
    };
  };

  # The record lifecycle: add `new`, remove `dns`, modify `routy` (and
  # their PTRs).
  changedZones = zones // {
    "internal" = zones."internal" // {
      subdomains = {
        ns0.A = [ "10.0.0.53" ];
        routy.A = [ "10.0.0.2" ];
        new.A = [ "10.0.0.77" ];
      };
    };
    "10.in-addr.arpa" = zones."10.in-addr.arpa" // {
      subdomains = {
        "53.0.0".PTR = [ "ns0.internal." ];
        "2.0.0".PTR = [ "routy.internal." ];
        "60.0.0".PTR = [ "api.s3.garage.internal." ];
        "77.0.0".PTR = [ "new.internal." ];
      };
    };
  };

  # Lines the dry run (`changedZones` against the seeded zones) must print,
  # per zone: what the VM test looks for in the unit's journal.
  dryRunPlan = {
    "internal" = [
      "+ new A 300 10.0.0.77  (zones.internal.subdomains.new.A)"
      "+ routy A 300 10.0.0.2  (zones.internal.subdomains.routy.A)"
    ];
  };

  # Written before the module runs, as Kea DHCP-DDNS and ExternalDNS would
  # (knsupdate lines "<name> <ttl> <type> <data>").
  foreign = [
    # DHCP (Kea): A/PTR with DHCID, no marker
    {
      zone = "internal";
      name = "laptop.internal.";
      ttl = 300;
      type = "A";
      data = "10.0.0.42";
    }
    {
      zone = "internal";
      name = "laptop.internal.";
      ttl = 300;
      type = "DHCID";
      data = "AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA=";
    }
    {
      zone = "10.in-addr.arpa";
      name = "42.0.0.10.in-addr.arpa.";
      ttl = 300;
      type = "PTR";
      data = "laptop.internal.";
    }
    # ExternalDNS: A plus its TXT registry in the old and the current format
    {
      zone = "internal";
      name = "forge.internal.";
      ttl = 300;
      type = "A";
      data = "10.1.0.5";
    }
    {
      zone = "internal";
      name = "k8s.forge.internal.";
      ttl = 300;
      type = "TXT";
      data = ''"heritage=external-dns,external-dns/owner=default,external-dns/resource=ingress/forgejo/forge"'';
    }
    {
      zone = "internal";
      name = "k8s.a-forge.internal.";
      ttl = 300;
      type = "TXT";
      data = ''"heritage=external-dns,external-dns/owner=default,external-dns/resource=ingress/forgejo/forge"'';
    }
  ];

  marker = type: ''"heritage=nix,managed-by=${managedBy},type=${type}"'';

  # What must hold after each stage. `present`: the whole RRset, in
  # presentation form (kdig +short / dnspython to_text), sorted;
  # `absent`: no such RRset.
  foreignRRsets = [
    {
      name = "laptop.internal.";
      type = "A";
      data = [ "10.0.0.42" ];
    }
    {
      name = "laptop.internal.";
      type = "DHCID";
      data = [ "AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA=" ];
    }
    {
      name = "42.0.0.10.in-addr.arpa.";
      type = "PTR";
      data = [ "laptop.internal." ];
    }
    {
      name = "forge.internal.";
      type = "A";
      data = [ "10.1.0.5" ];
    }
    {
      name = "k8s.forge.internal.";
      type = "TXT";
      data = [
        ''"heritage=external-dns,external-dns/owner=default,external-dns/resource=ingress/forgejo/forge"''
      ];
    }
    {
      name = "k8s.a-forge.internal.";
      type = "TXT";
      data = [
        ''"heritage=external-dns,external-dns/owner=default,external-dns/resource=ingress/forgejo/forge"''
      ];
    }
  ];

  expected = {
    # before the module: zone files plus foreign records, no markers
    seeded = {
      present = foreignRRsets ++ [
        {
          name = "ns0.internal.";
          type = "A";
          data = [ "10.0.0.53" ];
        }
      ];
      absent = [
        {
          name = "routy.internal.";
          type = "A";
        }
        {
          name = "nix.ns0.internal.";
          type = "TXT";
        }
      ];
    };

    applied = {
      present = foreignRRsets ++ [
        {
          name = "ns0.internal.";
          type = "A";
          data = [ "10.0.0.53" ];
        }
        {
          name = "nix.ns0.internal.";
          type = "TXT";
          data = [ (marker "A") ];
        }
        {
          name = "routy.internal.";
          type = "A";
          data = [ "10.0.0.1" ];
        }
        {
          name = "nix.routy.internal.";
          type = "TXT";
          data = [ (marker "A") ];
        }
        {
          name = "dns.internal.";
          type = "CNAME";
          data = [ "ns0.internal." ];
        }
        {
          name = "nix.dns.internal.";
          type = "TXT";
          data = [ (marker "CNAME") ];
        }
        {
          name = "internal.";
          type = "TXT";
          data = [ ''"v=spf1 -all"'' ];
        }
        {
          name = "nix.internal.";
          type = "TXT";
          data = [
            (marker "NS")
            (marker "TXT")
          ];
        }
        {
          name = "_sip._tcp.internal.";
          type = "SRV";
          data = [ "0 5 5060 routy.internal." ];
        }
        {
          name = "nix._sip._tcp.internal.";
          type = "TXT";
          data = [ (marker "SRV") ];
        }
        {
          name = "53.0.0.10.in-addr.arpa.";
          type = "PTR";
          data = [ "ns0.internal." ];
        }
        {
          name = "1.0.0.10.in-addr.arpa.";
          type = "PTR";
          data = [ "routy.internal." ];
        }
        {
          name = "api.s3.garage.internal.";
          type = "A";
          data = [ "10.0.0.60" ];
        }
        {
          name = "60.0.0.10.in-addr.arpa.";
          type = "PTR";
          data = [ "api.s3.garage.internal." ];
        }
        {
          name = "nix.api.s3.garage.internal.";
          type = "TXT";
          data = [ (marker "A") ];
        }
      ];
      absent = [
        {
          name = "new.internal.";
          type = "A";
        }
      ];
    };

    # after the switch to `changedZones`
    changed = {
      present = foreignRRsets ++ [
        {
          name = "ns0.internal.";
          type = "A";
          data = [ "10.0.0.53" ];
        }
        {
          name = "routy.internal.";
          type = "A";
          data = [ "10.0.0.2" ];
        }
        {
          name = "nix.routy.internal.";
          type = "TXT";
          data = [ (marker "A") ];
        }
        {
          name = "new.internal.";
          type = "A";
          data = [ "10.0.0.77" ];
        }
        {
          name = "nix.new.internal.";
          type = "TXT";
          data = [ (marker "A") ];
        }
        {
          name = "2.0.0.10.in-addr.arpa.";
          type = "PTR";
          data = [ "routy.internal." ];
        }
        {
          name = "77.0.0.10.in-addr.arpa.";
          type = "PTR";
          data = [ "new.internal." ];
        }
      ];
      absent = [
        {
          name = "dns.internal.";
          type = "CNAME";
        }
        {
          name = "nix.dns.internal.";
          type = "TXT";
        }
        {
          name = "1.0.0.10.in-addr.arpa.";
          type = "PTR";
        }
        {
          name = "nix.1.0.0.10.in-addr.arpa.";
          type = "TXT";
        }
      ];
    };
  };

  # Metric lines that must be in the metrics file after `applied`.
  expectedMetrics = [
    ''dns_static_records_sync_success{zone="internal"} 1''
    ''dns_static_records_sync_success{zone="10.in-addr.arpa"} 1''
    ''dns_static_records_sync_success{zone="s3.garage.internal"} 1''
  ];
}
