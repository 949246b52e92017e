import { describe, expect, it } from "vitest";
import { anyCovers, subjectCovers, subjectTemplate, templateFilter, templateProblem } from "./subjects.js";

describe("subject templates", () => {
  it("replaces {type} with the event type", () => {
    expect(subjectTemplate("livetap.events.{type}")("syslog.message")).toBe("livetap.events.syslog.message");
    expect(subjectTemplate("a.{type}.b.{type}")("x")).toBe("a.x.b.x");
    expect(subjectTemplate("fixed.subject")("x")).toBe("fixed.subject");
  });

  it("says what is wrong with a template", () => {
    expect(templateProblem("livetap.events.{type}")).toBeUndefined();
    expect(templateProblem("")).toBe("must be 1 to 255 characters");
    expect(templateProblem("a b")).toMatch(/whitespace/);
    expect(templateProblem("a..b")).toMatch(/empty token/);
    expect(templateProblem("a.>")).toMatch(/wildcard/);
    expect(templateProblem("a.{kind}")).toMatch(/placeholder other than \{type\}/);
  });

  it("a template's filter: {type} and everything after it is >", () => {
    expect(templateFilter("livetap.events.{type}")).toBe("livetap.events.>");
    expect(templateFilter("a.{type}.json")).toBe("a.>");
    expect(templateFilter("a.pre-{type}")).toBe("a.>");
    expect(templateFilter("a.b")).toBe("a.b");
  });
});

describe("subjectCovers", () => {
  it.each([
    [">", "a.b", true],
    ["a.>", "a.>", true],
    ["a.>", "a.b.c", true],
    ["a.>", "a", false],
    ["a.*", "a.b", true],
    ["a.*", "a.>", false],
    ["a.*", "a.b.c", false],
    ["a.b", "a.b", true],
    ["a.b", "a.*", false],
    ["livetap.>", "livetap.events.>", true],
    ["livetap.events.>", "livetap.>", false],
    ["other.>", "livetap.events.>", false],
    ["*.events.>", "livetap.events.>", true],
  ])("%s covers %s: %s", (filter, subject, expected) => {
    expect(subjectCovers(filter, subject)).toBe(expected);
  });

  it("any of several filters will do", () => {
    expect(anyCovers(["x.>", "livetap.>"], "livetap.events.>")).toBe(true);
    expect(anyCovers([], "a")).toBe(false);
  });
});
