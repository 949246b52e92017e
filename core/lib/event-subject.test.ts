import { describe, expect, it } from "vitest";
import { connectable, map, share } from "rxjs";
import { EventSubject } from "./event-subject.js";

describe("EventSubject", () => {
  it("multicasts in subscription order and stops a subscriber that left", () => {
    const s = new EventSubject<number>();
    const got: string[] = [];
    const a = s.subscribe((v) => got.push(`a${v}`));
    s.pipe(map((v) => v * 10)).subscribe((v) => got.push(`b${v}`));
    expect(s.observed).toBe(true);
    s.next(1);
    a.unsubscribe();
    s.next(2);
    expect(got).toEqual(["a1", "b10", "b20"]);
  });

  it("a subscriber added or removed during next takes effect from the next event", () => {
    const s = new EventSubject<number>();
    const got: string[] = [];
    let late = false;
    const first = s.subscribe((v) => {
      got.push(`first${v}`);
      if (!late) {
        late = true;
        s.subscribe((w) => got.push(`late${w}`));
      }
    });
    s.subscribe((v) => {
      got.push(`second${v}`);
      first.unsubscribe();
    });
    s.next(1);
    s.next(2);
    expect(got).toEqual(["first1", "second1", "second2", "late2"]);
  });

  it("ends every subscriber once, ignores what comes after, and gives a late subscriber the same end", () => {
    const s = new EventSubject<number>();
    const got: string[] = [];
    s.subscribe({ next: (v) => got.push(`${v}`), complete: () => got.push("done") });
    s.next(1);
    s.complete();
    s.next(2);
    s.complete();
    s.subscribe({ next: (v) => got.push(`late${v}`), complete: () => got.push("late done") });
    expect(got).toEqual(["1", "done", "late done"]);
    expect(s.observed).toBe(false);

    const e = new EventSubject<number>();
    const errors: unknown[] = [];
    e.subscribe({ error: (err) => errors.push(err) });
    e.error("boom");
    e.error("again");
    e.subscribe({ error: (err) => errors.push(`late ${String(err)}`) });
    expect(errors).toEqual(["boom", "late boom"]);
  });

  it("serves as the connector of connectable and share", () => {
    const source = new EventSubject<number>();
    const shared = connectable(source, { connector: () => new EventSubject<number>(), resetOnDisconnect: false });
    const fanned = shared.pipe(share({ connector: () => new EventSubject<number>() }));
    const got: string[] = [];
    fanned.subscribe((v) => got.push(`x${v}`));
    fanned.subscribe((v) => got.push(`y${v}`));
    source.next(0); // not connected yet: nobody gets it
    const connection = shared.connect();
    source.next(1);
    connection.unsubscribe();
    source.next(2);
    expect(got).toEqual(["x1", "y1"]);
  });
});
