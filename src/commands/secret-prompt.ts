/** A terminal prompt that does not echo what is typed, for the Autotask secret. */

type RawInput = NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };

/**
 * Asks `question` on `output` and reads one line from a TTY `input` in raw mode, echoing nothing.
 * Resolves to null when the person presses Ctrl-C or Ctrl-D, or when input ends.
 */
export function promptHidden(
  input: RawInput,
  output: NodeJS.WritableStream,
  question: string,
): Promise<string | null> {
  return new Promise((resolve) => {
    let typed = "";
    const finish = (value: string | null) => {
      input.removeListener("data", onData);
      input.removeListener("end", onEnd);
      input.setRawMode?.(false);
      input.pause();
      output.write("\n");
      resolve(value);
    };
    const onEnd = () => finish(null);
    const onData = (chunk: Buffer | string) => {
      for (const char of chunk.toString()) {
        if (char === "\r" || char === "\n") return finish(typed);
        if (char === "\u0003" || (char === "\u0004" && typed === "")) return finish(null);
        if (char === "\u007f" || char === "\b") typed = typed.slice(0, -1);
        else if (char >= " ") typed += char;
      }
    };
    output.write(question);
    input.setRawMode?.(true);
    input.on("data", onData);
    input.on("end", onEnd);
    input.resume();
  });
}
