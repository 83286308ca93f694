// Renders a model's Jinja chat template (tokenizer_config.json `chat_template` or the GGUF key
// `tokenizer.chat_template`) with @huggingface/jinja.
import { Template } from '@huggingface/jinja';
import { InputError } from '../util/errors.js';

export interface ChatMessage {
  readonly role: string;
  readonly content: string;
}

export interface ChatTemplateOptions {
  /** Append the opening of an assistant turn, so the model continues as the assistant. */
  readonly addGenerationPrompt: boolean;
}

/** Special-token texts that templates refer to as `bos_token` and `eos_token`. */
export interface ChatTemplateTokens {
  readonly bosToken: string;
  readonly eosToken: string;
}

/** A parsed chat template; parse once per model, render per prompt. */
export class ChatTemplate {
  private readonly template: Template;

  constructor(
    readonly source: string,
    private readonly tokens: ChatTemplateTokens,
    templateText: string,
  ) {
    try {
      this.template = new Template(templateText);
    } catch (error) {
      throw new InputError(`${source}: the chat template cannot be parsed: ${(error as Error).message}`, {
        source,
        expected: 'a Jinja chat template',
        found: 'a syntax error',
      });
    }
  }

  /** Renders the conversation to the prompt text that the model was trained on. */
  render(messages: readonly ChatMessage[], options: ChatTemplateOptions): string {
    for (const [index, message] of messages.entries()) {
      if (typeof message.role !== 'string' || typeof message.content !== 'string') {
        throw new InputError(`chat message ${index} needs string "role" and "content" fields`, {
          expected: '{ role: string, content: string }',
          found: JSON.stringify(message),
        });
      }
    }
    try {
      return this.template.render({
        messages: messages.map((message) => ({ role: message.role, content: message.content })),
        bos_token: this.tokens.bosToken,
        eos_token: this.tokens.eosToken,
        add_generation_prompt: options.addGenerationPrompt,
      });
    } catch (error) {
      throw new InputError(`${this.source}: rendering the chat template failed: ${(error as Error).message}`, {
        source: this.source,
      });
    }
  }
}

/** Raises the error for a model without a chat template when chat formatting was requested. */
export function missingChatTemplateError(source: string): InputError {
  return new InputError(`${source}: the model has no chat template, so --chat cannot format the prompt; pass the prompt as plain text with --prompt and without --chat`, {
    source,
    expected: 'a chat template in tokenizer_config.json or tokenizer.chat_template',
    found: 'none',
    hint: 'pass the prompt as plain text with --prompt and without --chat',
  });
}
