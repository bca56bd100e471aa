// Terminal display widths, and the tables that align by them: ASCII (the fast path), wide East
// Asian characters and emoji two columns, combining marks none.
import test from "ava";
import { table } from "../src/cli/format.js";
import { renderTimeline } from "../src/cli/timeline-verb.js";
import { displayWidth } from "../src/view/display-width.js";
import { timelineOf } from "./helpers/timeline-fixture.js";

test("displayWidth: ASCII and Latin one column, wide East Asian two, combining marks none", (t) => {
  t.is(displayWidth("git-clone ~"), 11);
  t.is(displayWidth("grüße"), 5);
  t.is(displayWidth("界面"), 4);
  t.is(displayWidth("e\u0301"), 1);
  t.is(displayWidth("😀"), 2);
});

test("displayWidth: emoji that East Asian Width calls wide are two columns, in every emoji block", (t) => {
  const wide = {
    "🚀 rocket": "🚀",
    "🛸 flying saucer": "🛸",
    "🛼 roller skate": "🛼",
    "🤌 pinched fingers": "🤌",
    "🦀 crab": "🦀",
    "🧿 nazar amulet": "🧿",
    "🩰 ballet shoes": "🩰",
    "🫠 melting face": "🫠",
    "🩷 pink heart (Unicode 15)": "🩷",
    "🌀 cyclone": "🌀",
    "🙏 folded hands": "🙏",
    "☕ hot beverage": "☕",
    "✅ check mark": "✅",
    "⭐ star": "⭐",
    "⌚ watch": "⌚",
  };
  for (const [what, ch] of Object.entries(wide)) t.is(displayWidth(ch), 2, what);
  t.is(displayWidth("deploy 🚀"), 9);
  t.is(displayWidth("🚀🚀"), 4);
});

test("displayWidth: symbols shown as text by default stay one column", (t) => {
  // East Asian Width N: a terminal draws them narrow unless asked for the emoji form.
  for (const ch of ["☀", "✈", "❤", "🌡", "🛠", "🕷"]) t.is(displayWidth(ch), 1, `U+${ch.codePointAt(0)!.toString(16)}`);
  // The emoji form's selector adds no column of its own.
  t.is(displayWidth("\u2764\ufe0f"), 1);
});

test("a table with 🚀 in a cell keeps its columns aligned", (t) => {
  const text = table(["UNIT", "STATUS", "SINCE"], [["🚀 launch", "started", "1s"], ["git-clone", "completed", "2s"], ["ide", "pending", "-"]]);
  t.is(
    text,
    [
      "UNIT       STATUS     SINCE",
      "🚀 launch  started    1s",
      "git-clone  completed  2s",
      "ide        pending    -",
      "",
    ].join("\n"),
  );
});

test("the timeline table of a unit named with 🚀 stays aligned", (t) => {
  const text = renderTimeline(
    timelineOf([
      { name: "git-clone", waitFrom: 0, started: 0, finished: 1200 },
      { name: "🚀 deploy", registered: 10, waitFrom: 10, started: 1210, finished: 2000 },
    ]),
  );
  const lines = text.split("\n");
  const header = lines[0]!;
  const column = header.indexOf("STATUS");
  t.is(column, "git-clone  ".length);
  const row = (name: string) => lines.find((l) => l.startsWith(name))!;
  t.is(row("git-clone").slice(column, column + "completed".length), "completed");
  // "🚀 deploy" is 9 columns, as "git-clone" is: the same two spaces before STATUS.
  t.true(row("🚀 deploy").startsWith("🚀 deploy  completed"), row("🚀 deploy"));
});
