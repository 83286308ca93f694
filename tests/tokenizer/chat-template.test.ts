// Chat template rendering against hand-checked prompts, and the error for a model without one.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChatTemplate } from '../../src/tokenizer/chat-template.js';
import { loadTokenizer } from '../../src/tokenizer/tokenizer.js';
import { InputError } from '../../src/util/errors.js';

/** Llama-3-like template: BOS first, a header per turn, the system turn optional. */
const TEMPLATE =
  '{{ bos_token }}{% for message in messages %}' +
  "<|start_header_id|>{{ message['role'] }}<|end_header_id|>\n\n{{ message['content'] | trim }}<|eot_id|>" +
  '{% endfor %}{% if add_generation_prompt %}<|start_header_id|>assistant<|end_header_id|>\n\n{% endif %}';

const MESSAGES = [
  { role: 'system', content: 'You write Python.' },
  { role: 'user', content: '  Write add(a, b).\n' },
];

test('template renders with generation prompt', () => {
  const template = new ChatTemplate('test', { bosToken: '<|begin_of_text|>', eosToken: '<|eot_id|>' }, TEMPLATE);
  const expected =
    '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou write Python.<|eot_id|>' +
    '<|start_header_id|>user<|end_header_id|>\n\nWrite add(a, b).<|eot_id|>' +
    '<|start_header_id|>assistant<|end_header_id|>\n\n';
  assert.equal(template.render(MESSAGES, { addGenerationPrompt: true }), expected);
});

test('template renders without generation prompt', () => {
  const template = new ChatTemplate('test', { bosToken: '<s>', eosToken: '</s>' }, TEMPLATE);
  const rendered = template.render(MESSAGES, { addGenerationPrompt: false });
  assert.ok(rendered.startsWith('<s><|start_header_id|>system'), rendered);
  assert.ok(rendered.endsWith('Write add(a, b).<|eot_id|>'), rendered);
});

test('template exception becomes InputError', () => {
  const template = new ChatTemplate('model.gguf', { bosToken: '', eosToken: '' }, "{{ raise_exception('roles must alternate') }}");
  assert.throws(() => template.render(MESSAGES, { addGenerationPrompt: true }), (error: unknown) => error instanceof InputError && error.message.includes('roles must alternate'));
});

test('syntax error names the source', () => {
  assert.throws(() => new ChatTemplate('model.gguf', { bosToken: '', eosToken: '' }, '{% for m in messages %}'), (error: unknown) => error instanceof InputError && error.message.startsWith('model.gguf'));
});

test('GGUF template gets bos_token', async () => {
  const metadata = new Map<string, unknown>([
    ['tokenizer.ggml.model', 'llama'],
    ['tokenizer.ggml.tokens', ['<unk>', '<s>', '</s>', '\u2581a']],
    ['tokenizer.chat_template', '{{ bos_token }}{{ messages[0].content }}{{ eos_token }}'],
  ]);
  const tokenizer = await loadTokenizer({ kind: 'gguf', metadata });
  assert.equal(tokenizer.applyChatTemplate([{ role: 'user', content: 'hi' }], { addGenerationPrompt: false }), '<s>hi</s>');
});

test('missing template tells how to proceed', async () => {
  const metadata = new Map<string, unknown>([
    ['tokenizer.ggml.model', 'llama'],
    ['tokenizer.ggml.tokens', ['<unk>', '<s>', '</s>', '\u2581a']],
  ]);
  const tokenizer = await loadTokenizer({ kind: 'gguf', metadata, path: 'plain.gguf' });
  assert.equal(tokenizer.chatTemplate, null);
  assert.throws(
    () => tokenizer.applyChatTemplate([{ role: 'user', content: 'hi' }], { addGenerationPrompt: true }),
    (error: unknown) => error instanceof InputError && error.message.includes('plain.gguf') && error.details.hint !== undefined && error.details.hint.includes('--prompt'),
  );
});

test('message without content is rejected', () => {
  const template = new ChatTemplate('test', { bosToken: '', eosToken: '' }, TEMPLATE);
  assert.throws(() => template.render([{ role: 'user' } as never], { addGenerationPrompt: true }), InputError);
});
