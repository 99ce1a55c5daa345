{
  description = "Declarative static DNS records for a Knot DNS server shared with DHCP-DDNS and ExternalDNS";

  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
    dns = {
      url = "github:nix-community/dns.nix";
      # dns.nix uses lib.trim, newer than its own pinned nixpkgs
      inputs.nixpkgs.follows = "nixpkgs";
    };
  };

  outputs =
    {
      self,
      nixpkgs,
      dns,
    }:
    let
      systems = [
        "x86_64-linux"
        "aarch64-linux"
      ];
      forAllSystems = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
      scenario = import ./nixos-tests/scenario.nix;
    in
    {
      # render/check without NixOS (plain Nix, contract §8)
      lib = import ./nix/lib.nix;

      nixosModules.default = import ./nix/module.nix { inherit dns; };

      packages = forAllSystems (pkgs: {
        default = pkgs.callPackage ./nix/package.nix { };
      });

      checks = forAllSystems (
        pkgs:
        let
          check =
            document:
            self.lib.check {
              inherit document;
              python = "${pkgs.python3}/bin/python3";
              inherit (pkgs.stdenv.hostPlatform) system;
            };
          scenarioDocument = self.lib.render {
            inherit (scenario) zones managedBy ownerPrefix externalDnsLayouts;
          };
        in
        {
          package = self.packages.${pkgs.stdenv.hostPlatform.system}.default;

          # the scenario renders to the committed golden document, which the
          # checker accepts
          render-golden = pkgs.runCommand "render-golden" { } ''
            ${pkgs.diffutils}/bin/diff -u \
              <(${pkgs.jq}/bin/jq -S . ${./nixos-tests/scenario.golden.json}) \
              <(${pkgs.jq}/bin/jq -S . ${check scenarioDocument})
            touch $out
          '';

          # bad records fail the check derivation with the checker's rule id
          check-rejects-bad =
            let
              failed = pkgs.testers.testBuildFailure (
                check (
                  self.lib.render {
                    managedBy = "routy";
                    zones.internal = {
                      NS = [ "ns0.internal" ];
                      subdomains.dns = {
                        CNAME = [ "ns0.internal." ];
                        A = [ "10.0.0.9" ];
                      };
                    };
                  }
                )
              );
            in
            pkgs.runCommand "check-rejects-bad" { } ''
              grep -F 'error[trailing-dot]' ${failed}/testBuildFailure.log
              grep -F 'error[cname-coexistence]' ${failed}/testBuildFailure.log
              grep -F 'zones.internal.subdomains.dns.CNAME' ${failed}/testBuildFailure.log
              touch $out
            '';

          vm = import ./nixos-tests {
            inherit pkgs;
            module = self.nixosModules.default;
          };
        }
      );

      devShells = forAllSystems (pkgs: {
        default = pkgs.mkShell {
          packages = [
            (pkgs.python3.withPackages (ps: [
              ps.dnspython
              ps.pytest
              ps.hypothesis
              ps.mypy
            ]))
            pkgs.ruff
            pkgs.knot-dns
            pkgs.kea
            pkgs.nixfmt
          ];
        };
      });

      # `nix fmt` formats the whole tree with nixfmt (RFC 166 style)
      formatter = forAllSystems (pkgs: pkgs.nixfmt-tree);
    };
}
