# services.dnsStaticRecords.metrics.alertRules: install the shipped
# Prometheus alert rules (alerts/dns-static-records.rules.yml, unit-tested
# with `promtool test rules`) into services.prometheus.ruleFiles. Imported by
# module.nix; kept apart so the rules travel with the metrics they watch.
{ config, lib, ... }:
let
  cfg = config.services.dnsStaticRecords;
in
{
  options.services.dnsStaticRecords.metrics.alertRules = lib.mkOption {
    type = lib.types.bool;
    default = false;
    description = ''
      Add the alert rules for these metrics to
      {option}`services.prometheus.ruleFiles` on this host: sync failing or
      failing intermittently, no successful sync for 24 h, metrics never
      written or vanished, managed RRsets dropping below half of the last
      6 hours' maximum (and by at least 5), conflicts present for 30 minutes. Prometheus
      must scrape the node-exporter that reads
      {option}`services.dnsStaticRecords.metrics.path`. Elsewhere, use the
      file `alerts/dns-static-records.rules.yml` of this flake directly.
    '';
  };

  config = lib.mkIf (cfg.enable && cfg.metrics.alertRules) {
    services.prometheus.ruleFiles = [ ../alerts/dns-static-records.rules.yml ];
  };
}
