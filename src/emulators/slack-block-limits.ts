/**
 * The Block Kit limits Slack enforces, as a pure checker for the Slack emulator. Each problem is a
 * message in Slack's own shape: `[ERROR] must be at most 24 characters [json-pointer:/view/title/text]`.
 */

/** Slack's limits (characters unless named otherwise). */
export const BLOCK_KIT_LIMITS = {
  modalBlocks: 100,
  messageBlocks: 50,
  viewTitle: 24,
  viewButton: 24,
  id: 255,
  privateMetadata: 3_000,
  sectionText: 3_000,
  sectionFields: 10,
  fieldText: 2_000,
  headerText: 150,
  contextElements: 10,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2_000,
  inputLabel: 2_000,
  inputHint: 2_000,
  placeholder: 150,
  plainTextInputMaxLength: 3_000,
  messageText: 40_000,
  updateText: 4_000,
} as const;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

class Problems {
  readonly list: string[] = [];
  add(pointer: string, message: string): void {
    this.list.push(`[ERROR] ${message} [json-pointer:${pointer}]`);
  }
  maxLength(pointer: string, value: unknown, max: number): void {
    if (typeof value === "string" && value.length > max)
      this.add(pointer, `must be at most ${max} characters`);
  }
}

function textObject(
  problems: Problems,
  pointer: string,
  value: unknown,
  max: number,
  plainOnly = false,
): void {
  if (!isObject(value)) {
    problems.add(pointer, "must be a text object");
    return;
  }
  if (value.type !== "plain_text" && value.type !== "mrkdwn") {
    problems.add(`${pointer}/type`, "must be plain_text or mrkdwn");
    return;
  }
  if (plainOnly && value.type !== "plain_text") {
    problems.add(`${pointer}/type`, "must be plain_text");
    return;
  }
  if (typeof value.text !== "string" || value.text.length === 0) {
    problems.add(`${pointer}/text`, "must be more than 0 characters");
    return;
  }
  problems.maxLength(`${pointer}/text`, value.text, max);
}

function element(problems: Problems, pointer: string, value: unknown, ids: Set<string>): void {
  if (!isObject(value) || typeof value.type !== "string") {
    problems.add(pointer, "must have a type");
    return;
  }
  if (value.action_id !== undefined) {
    problems.maxLength(`${pointer}/action_id`, value.action_id, BLOCK_KIT_LIMITS.id);
    if (typeof value.action_id === "string") {
      if (ids.has(value.action_id))
        problems.add(`${pointer}/action_id`, "action_id must be unique in a block");
      ids.add(value.action_id);
    }
  }
  if (value.placeholder !== undefined) {
    textObject(problems, `${pointer}/placeholder`, value.placeholder, BLOCK_KIT_LIMITS.placeholder, true);
  }
  if (value.type === "button") {
    textObject(problems, `${pointer}/text`, value.text, BLOCK_KIT_LIMITS.buttonText, true);
    problems.maxLength(`${pointer}/value`, value.value, BLOCK_KIT_LIMITS.buttonValue);
  }
  if (value.type === "plain_text_input") {
    const max = value.max_length;
    if (
      max !== undefined &&
      (typeof max !== "number" || max < 1 || max > BLOCK_KIT_LIMITS.plainTextInputMaxLength)
    ) {
      problems.add(
        `${pointer}/max_length`,
        `must be between 1 and ${BLOCK_KIT_LIMITS.plainTextInputMaxLength}`,
      );
    }
    const limit = typeof max === "number" ? max : BLOCK_KIT_LIMITS.plainTextInputMaxLength;
    problems.maxLength(`${pointer}/initial_value`, value.initial_value, limit);
  }
}

function block(problems: Problems, pointer: string, value: unknown, blockIds: Set<string>): void {
  if (!isObject(value) || typeof value.type !== "string") {
    problems.add(pointer, "must have a type");
    return;
  }
  if (value.block_id !== undefined) {
    problems.maxLength(`${pointer}/block_id`, value.block_id, BLOCK_KIT_LIMITS.id);
    if (typeof value.block_id === "string") {
      if (blockIds.has(value.block_id)) problems.add(`${pointer}/block_id`, "block_id must be unique");
      blockIds.add(value.block_id);
    }
  }
  const actionIds = new Set<string>();
  switch (value.type) {
    case "section": {
      if (value.text === undefined && value.fields === undefined)
        problems.add(pointer, "must have text or fields");
      if (value.text !== undefined)
        textObject(problems, `${pointer}/text`, value.text, BLOCK_KIT_LIMITS.sectionText);
      if (Array.isArray(value.fields)) {
        if (value.fields.length > BLOCK_KIT_LIMITS.sectionFields) {
          problems.add(`${pointer}/fields`, `must have at most ${BLOCK_KIT_LIMITS.sectionFields} items`);
        }
        value.fields.forEach((field, i) => {
          textObject(problems, `${pointer}/fields/${i}`, field, BLOCK_KIT_LIMITS.fieldText);
        });
      }
      if (value.accessory !== undefined)
        element(problems, `${pointer}/accessory`, value.accessory, actionIds);
      return;
    }
    case "header": {
      textObject(problems, `${pointer}/text`, value.text, BLOCK_KIT_LIMITS.headerText, true);
      return;
    }
    case "context":
    case "actions": {
      const max =
        value.type === "context" ? BLOCK_KIT_LIMITS.contextElements : BLOCK_KIT_LIMITS.actionsElements;
      if (!Array.isArray(value.elements) || value.elements.length === 0) {
        problems.add(`${pointer}/elements`, "must have at least 1 item");
        return;
      }
      if (value.elements.length > max) problems.add(`${pointer}/elements`, `must have at most ${max} items`);
      value.elements.forEach((item, i) => {
        const itemPointer = `${pointer}/elements/${i}`;
        const isText = isObject(item) && (item.type === "mrkdwn" || item.type === "plain_text");
        if (isText) textObject(problems, itemPointer, item, BLOCK_KIT_LIMITS.sectionText);
        else element(problems, itemPointer, item, actionIds);
      });
      return;
    }
    case "input":
      textObject(problems, `${pointer}/label`, value.label, BLOCK_KIT_LIMITS.inputLabel, true);
      if (value.hint !== undefined)
        textObject(problems, `${pointer}/hint`, value.hint, BLOCK_KIT_LIMITS.inputHint, true);
      {
        element(problems, `${pointer}/element`, value.element, actionIds);
        return;
      }
    default:
      return;
  }
}

function blocksOf(problems: Problems, pointer: string, blocks: unknown, max: number): void {
  if (!Array.isArray(blocks)) {
    problems.add(pointer, "must be an array");
    return;
  }
  if (blocks.length > max) problems.add(pointer, `must have at most ${max} items`);
  const blockIds = new Set<string>();
  blocks.forEach((item, i) => {
    block(problems, `${pointer}/${i}`, item, blockIds);
  });
}

/** Problems with a message's blocks (at most 50). Empty when Slack would accept them. */
export function checkMessageBlocks(blocks: unknown): string[] {
  const problems = new Problems();
  blocksOf(problems, "/blocks", blocks, BLOCK_KIT_LIMITS.messageBlocks);
  return problems.list;
}

/** Problems with a modal view (views.open/update/push). Empty when Slack would accept it. */
export function checkView(view: unknown): string[] {
  const problems = new Problems();
  if (!isObject(view)) {
    problems.add("/view", "must be an object");
    return problems.list;
  }
  if (view.type !== "modal") problems.add("/view/type", "must be modal");
  textObject(problems, "/view/title", view.title, BLOCK_KIT_LIMITS.viewTitle, true);
  for (const button of ["submit", "close"] as const) {
    if (view[button] !== undefined) {
      textObject(problems, `/view/${button}`, view[button], BLOCK_KIT_LIMITS.viewButton, true);
    }
  }
  problems.maxLength("/view/callback_id", view.callback_id, BLOCK_KIT_LIMITS.id);
  problems.maxLength("/view/private_metadata", view.private_metadata, BLOCK_KIT_LIMITS.privateMetadata);
  blocksOf(problems, "/view/blocks", view.blocks, BLOCK_KIT_LIMITS.modalBlocks);
  const hasInput =
    Array.isArray(view.blocks) && view.blocks.some((item) => isObject(item) && item.type === "input");
  if (hasInput && view.submit === undefined)
    problems.add("/view/submit", "is required when the view has input blocks");
  return problems.list;
}
