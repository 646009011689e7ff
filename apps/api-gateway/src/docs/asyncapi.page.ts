import type { JsonSchema } from '@gad/contracts';

const escape = (text: unknown): string =>
  String(text ?? '').replace(
    /[&<>"']/g,
    (char) =>
      ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char] ?? char,
  );

interface Channel {
  address: string;
  description?: string;
  messages?: Record<string, { $ref: string }>;
}
interface Message {
  name: string;
  summary?: string;
}

/**
 * A self-contained HTML overview of the AsyncAPI document (no scripts, no CDN): each channel with
 * its messages, linking to the JSON (`/docs/asyncapi.json`) where the payload schemas are.
 */
export function renderAsyncApiPage(document: JsonSchema): string {
  const info = document['info'] as { title: string; version: string; description: string };
  const channels = Object.values(document['channels'] as Record<string, Channel>);
  const messages = (document['components'] as { messages: Record<string, Message> }).messages;
  const sections = channels
    .map((channel) => {
      const rows = Object.values(channel.messages ?? {})
        .map((ref) => messages[ref.$ref.split('/').pop() ?? ''])
        .filter((message): message is Message => message !== undefined)
        .map(
          (message) =>
            `<tr><td><code>${escape(message.name)}</code></td><td>${escape(message.summary)}</td></tr>`,
        )
        .join('');
      return (
        `<section><h2><code>${escape(channel.address)}</code></h2><p>${escape(channel.description)}</p>` +
        `<table><thead><tr><th>event</th><th>what</th></tr></thead><tbody>${rows}</tbody></table></section>`
      );
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(info.title)} (AsyncAPI)</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.3rem;text-align:left;vertical-align:top}
code{background:#f4f4f4;padding:0 .2rem}</style></head>
<body><h1>${escape(info.title)} <small>${escape(info.version)}</small></h1>
<p>${escape(info.description)}</p>
<p>AsyncAPI 3.0 document: <a href="/docs/asyncapi.json">/docs/asyncapi.json</a> (payload schemas, servers,
operations; open it in the <a href="https://studio.asyncapi.com/">AsyncAPI Studio</a>). REST: <a href="/docs">/docs</a>.</p>
${sections}
</body></html>
`;
}
