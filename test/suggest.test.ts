// "Did you mean …?": the closest registered name to a mistyped one.
import test from "ava";
import { closest } from "../src/cli/suggest.js";

test("a transposition, a missing letter or a wrong letter finds the registered name", (t) => {
  const registered = ["git-clone", "env-setup", "ide", "dotfiles.install"];
  t.is(closest("gti-clone", registered), "git-clone");
  t.is(closest("git-clon", registered), "git-clone");
  t.is(closest("env-setpu", registered), "env-setup");
  t.is(closest("dotfiles.instal", registered), "dotfiles.install");
  t.is(closest("idf", registered), "ide");
});

test("the comparison ignores case but suggests the name as registered", (t) => {
  t.is(closest("Git-Clone", ["git-clone"]), "git-clone");
  t.is(closest("git-clone", ["GIT-CLONE"]), "GIT-CLONE");
});

test("the name itself is never suggested", (t) => {
  t.is(closest("git-clone", ["git-clone"]), undefined);
  t.is(closest("git-clone", ["git-clone", "git-clones"]), "git-clones");
});

test("nothing is suggested when no name is close", (t) => {
  t.is(closest("git-clone", []), undefined);
  t.is(closest("git-clone", ["env-setup", "ide"]), undefined);
  t.is(closest("database", ["dbase"]), undefined, "three edits is too many");
  t.is(closest("ide", ["ixy"]), undefined, "a short name allows one edit only");
  t.is(closest("tests", ["txzts"]), undefined, "five letters allow one edit");
  t.is(closest("tests", ["tezts"]), "tezts");
  t.is(closest("setup", ["xetux"]), undefined);
  t.is(closest("install", ["instxxl"]), "instxxl", "six letters or more allow two edits");
  t.is(closest("ab", ["xy"]), undefined);
});

test("the closest of several near names wins, the first on a tie", (t) => {
  t.is(closest("git-clone", ["git-clxxe", "git-clonx"]), "git-clonx");
  t.is(closest("git-clone", ["gxt-clone", "git-clonx"]), "gxt-clone");
  t.is(closest("build", ["builds", "buil"]), "builds");
});

test("a name of any length allows at most two edits", (t) => {
  const long = "acme/very-long-module-name";
  t.is(closest(long, ["acme/very-long-module-nxmx"]), "acme/very-long-module-nxmx");
  t.is(closest(long, ["acme/very-long-module-xxmx"]), undefined);
});
