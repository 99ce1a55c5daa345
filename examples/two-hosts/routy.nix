# The router: Knot serves `internal` and `10.in-addr.arpa`; the agent keeps
# routy's own records (owner "routy") and publishes the contributions of the
# other hosts, each under its own owner id.
{ ... }:
{
  networking.hostName = "routy";
  services.knot.enable = true; # plus its zones, key and ACL (see the README's Knot side)
  services.dnsStaticRecords = {
    enable = true;
    tsigKeyFile = "/run/secrets/nsupdate-tsig-key";
    metrics.enable = true;
    zones = {
      "internal" = {
        NS = [ "ns0.internal." ];
        subdomains = {
          ns0.A = [ "10.0.0.53" ];
          routy.A = [ "10.0.0.1" ];
        };
      };
      "10.in-addr.arpa".subdomains = {
        "53.0.0".PTR = [ "ns0.internal." ];
        "1.0.0".PTR = [ "routy.internal." ];
      };
    };
  };
}
