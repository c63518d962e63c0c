// The events about this agent, as they arrive: decoded CloudEvents, kept
// in order, with a way to wait for one that matches.
//
// An event may arrive before the code that wants it starts waiting (the
// market publishes resources_allocated and bundle_activated in the same
// round), so waiting looks at what has arrived already, then at what comes.

import type { CloudEvent, EventPayloads, EventType } from "./types.js";

/** A typed view of an event whose type is known. */
export type EventOf<T extends EventType> = CloudEvent<EventPayloads[T]> & { type: T };

/**
 * decodeEvent parses one message as a CloudEvents 1.0 JSON event and
 * checks the envelope attributes every event has. It does not check the
 * payload against its schema: the market already validated it.
 */
export function decodeEvent(bytes: Uint8Array): CloudEvent {
  const e = JSON.parse(new TextDecoder().decode(bytes)) as Partial<CloudEvent>;
  if (e.specversion !== "1.0") {
    throw new Error(`not a CloudEvents 1.0 event: specversion ${JSON.stringify(e.specversion)}`);
  }
  for (const key of ["id", "source", "type", "time", "sequence"] as const) {
    if (typeof e[key] !== "string" || e[key] === "") {
      throw new Error(`event without ${key}`);
    }
  }
  if (typeof e.data !== "object" || e.data === null) {
    throw new Error(`event ${e.id} has no data object`);
  }
  return e as CloudEvent;
}

/** is narrows e to an event of type t. */
export function is<T extends EventType>(e: CloudEvent, t: T): e is EventOf<T> {
  return e.type === t;
}

interface Waiter {
  match: (e: CloudEvent) => boolean;
  resolve: (e: CloudEvent) => void;
}

/** EventBook holds the events received and wakes those waiting for one. */
export class EventBook {
  readonly all: CloudEvent[] = [];
  private waiters: Waiter[] = [];
  private listeners: ((e: CloudEvent) => void)[] = [];

  /** add records e, tells the listeners and wakes the waiters it matches. */
  add(e: CloudEvent): void {
    this.all.push(e);
    for (const l of this.listeners) l(e);
    const still: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.match(e)) w.resolve(e);
      else still.push(w);
    }
    this.waiters = still;
  }

  /** onEvent calls f for every event from now on. */
  onEvent(f: (e: CloudEvent) => void): void {
    this.listeners.push(f);
  }

  /** counts returns how many events of each type arrived. */
  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const e of this.all) out[e.type] = (out[e.type] ?? 0) + 1;
    return out;
  }

  /**
   * waitFor returns the first event, received or to come, that match
   * accepts; it fails after timeoutMs naming what it waited for.
   */
  waitFor(what: string, match: (e: CloudEvent) => boolean, timeoutMs: number): Promise<CloudEvent> {
    const seen = this.all.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        match,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }
}
