// An interview over the realtime socket with the official Node SDK (`openai`): `OpenAIRealtimeWS`
// (the `ws` package, the ticket as `Authorization: Bearer`) or `OpenAIRealtimeWebSocket` (the
// runtime's WebSocket, as in a browser: the ticket in the `openai-insecure-api-key.` subprotocol,
// `realtime` offered). Configured only with a base URL (the interview) and the ticket as apiKey.
//
// Usage: node node_openai.mjs ws|websocket BASE_URL TICKET OUT_JSONL
// Prints {"answers", "completed", "questions": [item ids], "errors": [...], "close_code"}.
import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import { OpenAIRealtimeWebSocket } from 'openai/realtime/websocket';

import { answerText, finish, tlsFront, userItem } from './common.mjs';

const [kind, baseURL, ticket, outPath] = process.argv.slice(2);
const front = await tlsFront(baseURL);
const client = new OpenAI({ baseURL: front + new URL(baseURL).pathname, apiKey: ticket });
const rt =
  kind === 'ws'
    ? new OpenAIRealtimeWS({ model: 'gpt-realtime' }, client)
    : new OpenAIRealtimeWebSocket({ model: 'gpt-realtime' }, client);

const received = [];
const summary = { answers: 0, completed: false, questions: [], errors: [], close_code: null };
const answer = () => {
  summary.answers += 1;
  rt.send({ type: 'conversation.item.create', item: userItem(answerText(summary.answers)) });
  rt.send({ type: 'response.create' });
};

const closed = new Promise((resolve) => {
  const onClose = (code) => {
    summary.close_code = code;
    resolve();
  };
  if (kind === 'ws') rt.socket.on('close', onClose);
  else rt.socket.addEventListener('close', (e) => onClose(e.code));
});
rt.on('error', (err) => summary.errors.push(String(err.message ?? err)));
rt.on('event', (event) => {
  received.push(event);
  if (event.type === 'conversation.item.done' && summary.questions.length === 0) {
    summary.questions.push(event.item.id); // the first question, on connect
    answer();
  } else if (event.type === 'response.done') {
    summary.questions.push(event.response.output[0].id);
  } else if (event.type === 'interview.completed') {
    summary.completed = true;
  }
});
// The next answer once the turn's state has arrived, unless the interview completed with it.
rt.on('event', (event) => {
  if (event.type === 'interview.state' && event.questions_asked === summary.answers && summary.answers > 0) {
    setTimeout(() => {
      if (!summary.completed) answer();
    }, 1500);
  }
});

const timeout = setTimeout(() => {
  summary.errors.push('timed out');
  rt.close();
}, 120_000);
await closed;
clearTimeout(timeout);
finish(outPath, received, summary);
process.exit(0);
