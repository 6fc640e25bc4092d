// An interview over the realtime socket with `@openai/agents-realtime`: a RealtimeSession over
// its OpenAIRealtimeWebSocket transport, configured only with the socket URL
// (`{base URL}/realtime`) and the ticket as apiKey. The agent has no instructions or tools
// (the interview sets those); the session sends its session.update on connect like any app.
//
// Usage: node agents_realtime.mjs BASE_URL TICKET OUT_JSONL
// Prints {"answers", "completed", "questions": [item ids], "history": [{id, role}], "errors"}.
import { OpenAIRealtimeWebSocket, RealtimeAgent, RealtimeSession } from '@openai/agents-realtime';

import { answerText, finish } from './common.mjs';

const [baseURL, ticket, outPath] = process.argv.slice(2);
const url = `${baseURL.replace(/^http/, 'ws')}/realtime`;

const agent = new RealtimeAgent({ name: 'Candidate' });
const transport = new OpenAIRealtimeWebSocket({ url });
const session = new RealtimeSession(agent, { transport, model: 'gpt-realtime' });

const received = [];
const summary = { answers: 0, completed: false, questions: [], history: [], errors: [] };
const answer = () => {
  summary.answers += 1;
  session.sendMessage(answerText(summary.answers));
};

let connected = false;
const closed = new Promise((resolve) => {
  transport.on('connection_change', (status) => {
    if (status === 'connected') connected = true;
    if (status === 'disconnected' && connected) resolve();
  });
});
session.on('error', (e) => summary.errors.push(JSON.stringify(e.error ?? e)));
transport.on('*', (event) => {
  received.push(event);
  if (event.type === 'conversation.item.done' && summary.questions.length === 0) {
    summary.questions.push(event.item.id);
    answer();
  } else if (event.type === 'response.done') {
    summary.questions.push(event.response.output[0].id);
  } else if (event.type === 'interview.completed') {
    summary.completed = true;
  } else if (event.type === 'interview.state' && summary.answers > 0 && event.questions_asked === summary.answers) {
    setTimeout(() => {
      if (!summary.completed) answer();
    }, 1500);
  }
});

const timeout = setTimeout(() => {
  summary.errors.push('timed out');
  session.close();
}, 120_000);
await session.connect({ apiKey: ticket });
await closed;
clearTimeout(timeout);
summary.history = session.history.map((item) => ({ id: item.itemId, role: item.role }));
finish(outPath, received, summary);
process.exit(0);
