// The official openai npm client, unmodified, against a running `./ember serve` (EMBER_URL, e.g. http://127.0.0.1:18080).
// A scripted conversation: completions and chat, streamed and not; streamed text must equal the unary text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';

const base = process.env.EMBER_URL ?? 'http://127.0.0.1:18080';
const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: process.env.EMBER_API_KEY ?? 'sk-none' });
const model = process.env.EMBER_MODEL_NAME ?? 'stories260K-f32';

test('models lists the served model', async () => {
  const list = await client.models.list();
  assert.deepEqual(list.data.map((m) => m.id), [model]);
});

test('completion, greedy: the TinyStories opening', async () => {
  const r = await client.completions.create({ model, prompt: 'Once upon a time', max_tokens: 20, temperature: 0 });
  assert.match(r.choices[0].text, /^, there was a little girl named Lily\./);
  assert.equal(r.choices[0].finish_reason, 'length');
  assert.equal(r.usage.completion_tokens, 20);
  assert.equal(r.usage.prompt_tokens, 5);
});

test('completion, streamed, equals the unary text', async () => {
  const unary = await client.completions.create({ model, prompt: 'The little dog', max_tokens: 24, temperature: 0 });
  const stream = await client.completions.create({
    model, prompt: 'The little dog', max_tokens: 24, temperature: 0, stream: true, stream_options: { include_usage: true },
  });
  let text = '';
  let usage = null;
  for await (const chunk of stream) {
    if (chunk.choices.length) text += chunk.choices[0].text;
    if (chunk.usage) usage = chunk.usage;
  }
  assert.equal(text, unary.choices[0].text);
  assert.equal(usage.completion_tokens, 24);
});

test('chat, a two-turn conversation, streamed and not', async () => {
  const messages = [
    { role: 'system', content: 'You tell short stories.' },
    { role: 'user', content: 'Tell me about a cat.' },
  ];
  const first = await client.chat.completions.create({ model, messages, max_tokens: 16, temperature: 0 });
  const reply = first.choices[0].message;
  assert.equal(reply.role, 'assistant');
  assert.ok(reply.content.length > 0);
  messages.push({ role: 'assistant', content: reply.content }, { role: 'user', content: 'And then?' });
  const second = await client.chat.completions.create({ model, messages, max_tokens: 16, temperature: 0 });
  const stream = await client.chat.completions.create({ model, messages, max_tokens: 16, temperature: 0, stream: true });
  let text = '';
  let finish = null;
  for await (const chunk of stream) {
    text += chunk.choices[0]?.delta?.content ?? '';
    finish = chunk.choices[0]?.finish_reason ?? finish;
  }
  assert.equal(text, second.choices[0].message.content);
  assert.equal(finish, 'length');
});

test('errors surface as the client\'s typed errors', async () => {
  await assert.rejects(
    client.completions.create({ model, prompt: 'hi', max_tokens: -1 }),
    (e) => e instanceof OpenAI.BadRequestError && e.status === 400 && e.param === 'max_tokens',
  );
  await assert.rejects(
    client.completions.create({ model: 'no-such-model', prompt: 'hi' }),
    (e) => e instanceof OpenAI.NotFoundError && e.status === 404,
  );
});
