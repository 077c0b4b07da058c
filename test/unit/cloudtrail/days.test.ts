import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DayError, daysBetween, parseDay, selectDays } from "../../../lib/cloudtrail/days.ts";

describe("parseDay", () => {
  test("accepts real calendar days, including leap days", () => {
    assert.equal(parseDay("2013-12-07"), "2013-12-07");
    assert.equal(parseDay("2012-02-29"), "2012-02-29");
    assert.equal(parseDay("2000-02-29"), "2000-02-29");
    assert.equal(parseDay("2013-12-31"), "2013-12-31");
  });

  for (const bad of ["2013-13-45", "2013-02-29", "1900-02-29", "2013-04-31", "2013-00-10", "2013-01-00", "x; rm -rf ~", "2013-1-7", "2013-01-07T00:00:00Z", " 2013-01-07", "2013-01-07\n", "20130107", ""]) {
    test(`refuses ${JSON.stringify(bad)} with a DayError that quotes it`, () => {
      assert.throws(() => parseDay(bad), (e: unknown) => {
        assert.ok(e instanceof DayError, `expected DayError, got ${String(e)}`);
        assert.match(e.message, /^DATE must be a calendar day as YYYY-MM-DD/);
        assert.ok(e.message.includes(JSON.stringify(bad)), e.message);
        return true;
      });
    });
  }

  test("names the setting in the message", () => {
    assert.throws(() => parseDay("2013-13-45", "FROM"), { message: /^FROM must be a calendar day/ });
  });
});

describe("daysBetween", () => {
  test("is inclusive at both ends", () => {
    assert.deepEqual(daysBetween("2013-12-07", "2013-12-09"), ["2013-12-07", "2013-12-08", "2013-12-09"]);
    assert.deepEqual(daysBetween("2013-12-07", "2013-12-07"), ["2013-12-07"]);
  });

  test("crosses month ends, leap days and year ends", () => {
    assert.deepEqual(daysBetween("2012-02-28", "2012-03-01"), ["2012-02-28", "2012-02-29", "2012-03-01"]);
    assert.deepEqual(daysBetween("2013-02-28", "2013-03-01"), ["2013-02-28", "2013-03-01"]);
    assert.deepEqual(daysBetween("2013-12-30", "2014-01-02"), ["2013-12-30", "2013-12-31", "2014-01-01", "2014-01-02"]);
    assert.equal(daysBetween("2013-01-01", "2013-12-31").length, 365);
    assert.equal(daysBetween("2012-01-01", "2012-12-31").length, 366);
  });

  test("refuses reversed ranges and invalid ends", () => {
    assert.throws(() => daysBetween("2013-12-09", "2013-12-07"), (e: unknown) => e instanceof DayError && /FROM \(2013-12-09\) is after TO \(2013-12-07\)/.test(e.message));
    assert.throws(() => daysBetween("2013-13-45", "2013-12-07"), (e: unknown) => e instanceof DayError && /^FROM must be/.test(e.message));
    assert.throws(() => daysBetween("2013-12-07", "2013-02-29"), (e: unknown) => e instanceof DayError && /^TO must be/.test(e.message));
  });

  test("refuses ranges that are too long", () => {
    assert.throws(() => daysBetween("2000-01-01", "2020-01-01"), (e: unknown) => e instanceof DayError && /spans more than \d+ days/.test(e.message));
  });
});

describe("selectDays", () => {
  test("DATE gives that one day", () => {
    assert.deepEqual(selectDays({ date: "2013-12-07" }), ["2013-12-07"]);
  });

  test("FROM and TO give the inclusive range", () => {
    assert.deepEqual(selectDays({ from: "2013-12-31", to: "2014-01-01" }), ["2013-12-31", "2014-01-01"]);
  });

  test("DATE together with FROM or TO is refused", () => {
    assert.throws(() => selectDays({ date: "2013-12-07", from: "2013-12-01" }), { message: "give DATE, or FROM and TO, not both" });
    assert.throws(() => selectDays({ date: "2013-12-07", to: "2013-12-08" }), { message: "give DATE, or FROM and TO, not both" });
  });

  test("FROM without TO and TO without FROM are refused", () => {
    assert.throws(() => selectDays({ from: "2013-12-01" }), { message: "FROM and TO go together" });
    assert.throws(() => selectDays({ to: "2013-12-01" }), { message: "FROM and TO go together" });
  });

  test("nothing given says how to give a day", () => {
    assert.throws(() => selectDays({}), (e: unknown) => e instanceof DayError && /no day given: set DATE=YYYY-MM-DD, or FROM and TO/.test(e.message));
  });

  test("an invalid DATE is refused", () => {
    assert.throws(() => selectDays({ date: "x; rm -rf ~" }), DayError);
    assert.throws(() => selectDays({ date: "2013-13-45" }), DayError);
  });
});
