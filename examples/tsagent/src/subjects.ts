// The NATS subject layout of a scarcity market, as the Go packages
// transport/agentapi (commands) and transport/internal/subject (events)
// define it. Nothing here is discovered at run time: a change of layout on
// the Go side must be mirrored here.

/**
 * The event sources the market's stream captures, in the order of Go's
 * subject.Sources(). An agent listens to each of them.
 */
export const eventSources = ["market", "ledger", "scheduler", "agent", "judge", "benchmark"] as const;

/** The token Go's command subjects carry between prefix and agent. */
const cmdToken = "cmd.v1";

/**
 * token writes s as one NATS subject token, as Go's natstransport.Token
 * does: bytes in [A-Za-z0-9_-] stand for themselves, every other byte of
 * its UTF-8 encoding is "%XX" (upper-case hex); "" is "_" and "_" is
 * "%5F", so that the two stay apart.
 */
export function token(s: string): string {
  if (s === "") return "_";
  if (s === "_") return "%5F";
  let out = "";
  for (const byte of new TextEncoder().encode(s)) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9_-]/.test(c)) {
      out += c;
    } else {
      out += "%" + byte.toString(16).toUpperCase().padStart(2, "0");
    }
  }
  return out;
}

/** commandSubject is where agent sends verb: <prefix>.cmd.v1.<agent>.<verb>. */
export function commandSubject(prefix: string, agent: string, verb: string): string {
  return `${prefix}.${cmdToken}.${agent}.${verb}`;
}

/**
 * inboxPrefix is the inbox the agent's connection must use: the market's
 * server answers a request only if its reply subject is under
 * _INBOX.<agent>.
 */
export function inboxPrefix(agent: string): string {
  return `_INBOX.${agent}`;
}

/**
 * eventSubjects are the subjects of the events about agent, as Go's
 * agentapi.EventSubjects computes them. Events travel on
 * <prefix>.<source>.<type>.<subject>.<counterparty>; for each source the
 * agent wants those whose subject is itself and those whose counterparty
 * is itself (credits another agent sent it, say). No event matches two.
 */
export function eventSubjects(prefix: string, agent: string): string[] {
  const tok = token(agent);
  return eventSources.flatMap((src) => {
    const s = `${prefix}.${token(src)}`;
    return [`${s}.*.${tok}.*`, `${s}.*.*.${tok}`];
  });
}
