// Minimal client for the core server; the browser-client issue replaces it with the full UI.
const status = document.getElementById('status');
const messages = document.getElementById('messages');
const input = document.getElementById('input');
const send = document.getElementById('send');
const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
let socket;

function show(text) {
  const li = document.createElement('li');
  li.textContent = text;
  messages.appendChild(li);
}

function connect() {
  socket = new WebSocket(url, 'wschat.v2');
  socket.onopen = () => { status.textContent = 'Connected'; send.disabled = false; };
  socket.onclose = () => { status.textContent = 'Disconnected'; send.disabled = true; setTimeout(connect, 2000); };
  socket.onmessage = (event) => {
    const m = JSON.parse(event.data);
    if (m.type === 'chat') show(`${m.username}: ${m.message}`);
    else if (m.type === 'system' || m.type === 'error') show(m.message);
  };
}

document.getElementById('composer').addEventListener('submit', (e) => {
  e.preventDefault();
  const text = input.value.trim();
  if (!text || socket.readyState !== WebSocket.OPEN) return;
  socket.send(JSON.stringify({ type: 'chat', room: 'lobby', content: text }));
  input.value = '';
});

connect();
