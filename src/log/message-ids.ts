// MESSAGE_ID= of the messages an administrator looks up: `journalctl -x`
// shows the text of systemd/netevd.catalog for them, and
// `journalctl MESSAGE_ID=…` finds every occurrence. Never change an id: the
// catalog and people's saved queries use it.
export const MESSAGE_ID = {
  ready: "9e75cb1c8570470bb81c95ef7f54a34e",
  reloaded: "8aba1d65ae404151b21590d258def512",
  reloadRefused: "af53b7b1df9b4e5fa9ee40a02da456b0",
  scriptFailed: "6d7bd66d72074d3cbccd946b046d1160",
  policyChanged: "5cef58ef992e474483670407338dab81",
  resynced: "61cef0273d8040e78db465caca11829f",
} as const;
