# A service host: it names its services where they are configured. Nothing
# runs here for DNS; routy reads this option when it is built.
{ ... }:
{
  networking.hostName = "mysecrets";
  services.dnsStaticRecords.contributions = {
    "internal".subdomains = {
      mysecrets.A = [ "10.0.0.20" ];
      auth.CNAME = [ "mysecrets.internal." ];
      vault.CNAME = [ "mysecrets.internal." ];
    };
    "10.in-addr.arpa".subdomains."20.0.0".PTR = [ "mysecrets.internal." ];
  };
}
