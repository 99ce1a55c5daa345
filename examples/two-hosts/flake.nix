# Two hosts, one zone: mysecrets declares its own names next to its services,
# routy (running Knot) publishes them. `nix build
# .#nixosConfigurations.routy.config.system.build.toplevel` checks routy's
# records and every contribution together; a name two hosts declare fails it.
{
  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
    dns.url = "github:nix-community/dns.nix";
    dns.inputs.nixpkgs.follows = "nixpkgs";
    dns-static-records.url = "github:<owner>/dns-static-records";
    dns-static-records.inputs.nixpkgs.follows = "nixpkgs";
  };

  outputs =
    {
      self,
      nixpkgs,
      dns-static-records,
      ...
    }:
    {
      nixosConfigurations = {
        # the publisher: its own records in `zones`, everyone else's collected
        routy = nixpkgs.lib.nixosSystem {
          system = "x86_64-linux";
          modules = [
            dns-static-records.nixosModules.default
            ./routy.nix
            {
              services.dnsStaticRecords.collected = dns-static-records.lib.collectContributions self.nixosConfigurations;
            }
          ];
        };
        # a contributor: no agent, no key, just records
        mysecrets = nixpkgs.lib.nixosSystem {
          system = "x86_64-linux";
          modules = [
            dns-static-records.nixosModules.default
            ./mysecrets.nix
          ];
        };
      };
    };
}
