import { Writable } from "node:stream";
import { expect, it } from "vitest";
import { runDemo } from "../../src/demo/run.js";

it("the offline demo drives its three checks and its watch story to the expected results and prints each thread", async () => {
  let printed = "";
  const out = new Writable({
    write(chunk, _encoding, done) {
      printed += chunk.toString();
      done();
    },
  });
  expect(await runDemo(out)).toBe(true);
  expect(printed).toContain("result: ok");
  expect(printed).toContain("result: zone_mismatch");
  expect(printed).toContain("result: invalid_credentials");
  expect(printed).toContain("Domain to paste: `https://webservices15.autotask.net`");
  expect(printed).toContain("You entered ww5 (America West) but this user lives in ww15 (America West 2)");
  expect(printed).toContain("[Fix and retry]");
  // The fourth story: the watched connection's zone move reaches the channel with the new Domain.
  expect(printed).toContain(
    "Autotask moved `psa-sync@northwind.example` to America West 2, zone 15: paste `https://webservices15.autotask.net` as the Domain",
  );
  // The demo's secrets are printed nowhere, not even the badly copied one.
  for (const secret of ["Gq7#pLx2!vR9", "Zt5$wQ8m*Kd1", "Hn3&yU6c^Bs", "Nw8%tRq3#Lm5"])
    expect(printed).not.toContain(secret);
});
