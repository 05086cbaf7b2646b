import { MillraceError } from "../../../errors.js";

/** Raised by the stream connectors; `code` is MR_CONNECTOR_*. */
export class ConnectorError extends MillraceError {}

/** A response with a status other than the expected one. */
export class HttpStatusError extends ConnectorError {
  constructor(
    readonly status: number,
    readonly headers: Record<string, string | string[] | undefined>,
    readonly body: string,
    readonly url: string,
  ) {
    super("MR_CONNECTOR_HTTP_STATUS", `HTTP ${status} from ${url}${body ? `: ${body.slice(0, 300)}` : ""}`);
  }
  /** absolute epoch ms before which a retry is pointless (x-rate-limit-reset, Retry-After), if given */
  notBefore(now = Date.now()): number | undefined {
    const reset = Number(first(this.headers["x-rate-limit-reset"]));
    if (Number.isFinite(reset) && reset > 0) return reset * 1000;
    const ra = first(this.headers["retry-after"]);
    if (ra !== undefined) {
      if (/^\d+$/.test(ra.trim())) return now + Number(ra) * 1000;
      const t = Date.parse(ra);
      if (Number.isFinite(t)) return t;
    }
    return undefined;
  }
}

/** No bytes (not even a keep-alive) for longer than the stall timeout. */
export class StallError extends ConnectorError {
  constructor(ms: number) {
    super("MR_CONNECTOR_STALL", `no data or keep-alive for ${ms} ms`);
  }
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
