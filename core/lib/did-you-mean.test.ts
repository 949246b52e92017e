import { describe, expect, it } from "vitest";
import { didYouMean, editDistance } from "./did-you-mean.js";

describe("editDistance", () => {
  it.each([
    ["", "", 0],
    ["abc", "", 3],
    ["kitten", "sitting", 3],
    ["adress", "address", 1],
    ["adderss", "address", 1], // a transposition is one edit
    ["ca", "abc", 3], // optimal string alignment, not full Damerau
  ])("%s -> %s is %i", (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });
});

describe("didYouMean", () => {
  it.each<[string, string[], string | undefined]>([
    ["adress", ["path", "address", "auth"], "address"],
    ["consol", ["blackhole", "console", "file", "sse"], "console"],
    ["no-debg", ["syslog", "no-debug", "tenth"], "no-debug"],
    ["fie", ["file", "sse"], "file"],
    ["Address", ["address"], "address"], // case is free
    ["port", ["path", "host"], undefined],
    ["x", ["y"], undefined], // replacing every letter is no typo
    ["kafka", ["console", "file"], undefined],
    ["address", ["address"], undefined], // an exact match needs no suggestion
    ["ab", ["ax", "ay"], "ax"], // ties go to the first candidate
    ["anything", [], undefined],
  ])("%s in %j -> %s", (input, candidates, expected) => {
    expect(didYouMean(input, candidates)).toBe(expected);
  });
});
