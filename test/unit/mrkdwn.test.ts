import { describe, expect, it } from "vitest";
import { clip, escapeEntities, escapeMrkdwn, lastFour } from "../../src/slack/mrkdwn.js";

describe("escapeMrkdwn", () => {
  it.each([
    ["a broadcast", "<!channel>", "`&lt;!channel&gt;`"],
    ["a user mention", "<@U123>", "`&lt;@U123&gt;`"],
    ["a link with a label", "<https://evil.example|click>", "`&lt;https://evil.example|click&gt;`"],
    ["an ampersand", "R&D", "`R&amp;D`"],
    ["bold", "*x*", "`*x*`"],
    ["italic", "_x_", "`_x_`"],
    ["strike", "~x~", "`~x~`"],
    ["backticks, which cannot live in inline code", "a`b`c", "`a\u02CBb\u02CBc`"],
    ["a line break that could start a quote", "x\n> quoted", "`x &gt; quoted`"],
    ["an ordinary username", "api.user@example.com", "`api.user@example.com`"],
    ["unicode letters", "ünïcødé_用户", "`ünïcødé_用户`"],
  ])("renders %s literally", (_name, input, expected) => {
    expect(escapeMrkdwn(input)).toBe(expected);
  });

  it("leaves no unescaped angle bracket, whatever the input", () => {
    for (const input of ["<<>>", "<!here|x>", "&lt;", "<!date^1^{date}|x>"]) {
      const out = escapeMrkdwn(input);
      expect(out).not.toMatch(/[<>]/);
      expect(out.startsWith("`") && out.endsWith("`")).toBe(true);
    }
  });

  it("returns blank text unwrapped, since an empty code span shows as stray backticks", () => {
    expect(escapeMrkdwn("")).toBe("");
    expect(escapeMrkdwn("  ")).toBe("  ");
  });
});

describe("escapeEntities", () => {
  it("escapes only Slack's three characters", () => {
    expect(escapeEntities("<@U1> & *bold*")).toBe("&lt;@U1&gt; &amp; *bold*");
  });
});

describe("lastFour", () => {
  it.each([
    ["ABCDEFGH1A2B", "…1A2B"],
    ["  XYZ1A2B  ", "…1A2B"],
    ["12", "…12"],
    ["ab😀cd", "…b😀cd"],
  ])("shows %s as %s", (input, expected) => {
    expect(lastFour(input)).toBe(expected);
  });
});

describe("clip", () => {
  it("keeps short text and cuts long text to the limit with an ellipsis", () => {
    expect(clip("abc", 3)).toBe("abc");
    expect(clip("abcdef", 4)).toBe("abc…");
    expect(clip("abcdef", 4)).toHaveLength(4);
  });

  it("never leaves half a surrogate pair", () => {
    expect(clip("ab😀cd", 4)).toBe("ab…");
  });
});
