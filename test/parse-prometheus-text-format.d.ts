/** The parser ships no types; this is the part the metrics tests use. */
declare module "parse-prometheus-text-format" {
  interface ParsedFamily {
    name: string;
    help: string;
    type: string;
    metrics: Record<string, unknown>[];
  }
  /** Parses Prometheus text exposition; throws on a line it cannot read. */
  export default function parsePrometheusTextFormat(text: string): ParsedFamily[];
}
