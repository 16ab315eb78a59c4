// Loopback calls between two RTCPeerConnections of one page, for the end-to-end tests.
// Plain script (no modules): pages load it with <script src="/loopback.js">.
//
// Page parameters (none: the plain loopback call other tests rely on):
// - ?relay=PORT: media goes through the impairment relay of tests/e2e/support/impairment-relay.ts,
//   whose HTTP control port is PORT. Each IPv4 UDP host candidate one connection gathers is
//   registered with the relay (GET /forward?to=IP:PORT answers a relay port that forwards there) and
//   given to the other connection as 127.0.0.1:<relay port>; every other candidate (IPv6, TCP, mDNS)
//   is withheld, and candidates are stripped from the SDP, so nothing can bypass the relay.
// - ?audio=play: the remote audio plays in an <audio> element (without playout, concealment and
//   totalSamplesReceived stay 0); launch Chromium with --autoplay-policy=no-user-gesture-required.
(function () {
  'use strict';
  const calls = [];
  const params = new URLSearchParams(location.search);
  const relayPort = /^[0-9]{1,5}$/.test(params.get('relay') || '') ? Number(params.get('relay')) : 0;
  const playAudio = params.get('audio') === 'play';

  /** The candidate as the other connection should see it through the relay, or null to withhold it. */
  async function throughRelay(candidate) {
    // candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type> ...
    const parts = candidate.candidate.split(' ');
    const ipv4 = /^[0-9]{1,3}(\.[0-9]{1,3}){3}$/;
    if (parts.length < 8 || parts[2].toLowerCase() !== 'udp' || parts[7] !== 'host' || !ipv4.test(parts[4])) return null;
    const response = await fetch('http://127.0.0.1:' + relayPort + '/forward?to=' + parts[4] + ':' + parts[5]);
    if (!response.ok) throw new Error('relay refused ' + parts[4] + ':' + parts[5] + ': ' + response.status);
    const { port } = await response.json();
    parts[4] = '127.0.0.1';
    parts[5] = String(port);
    return { candidate: parts.join(' '), sdpMid: candidate.sdpMid, sdpMLineIndex: candidate.sdpMLineIndex, usernameFragment: candidate.usernameFragment };
  }

  /** Hands `from`'s ICE candidates to `to` (through the relay when the page has ?relay=). */
  function link(from, to) {
    from.onicecandidate = (e) => {
      if (!e.candidate) return;
      if (!relayPort) {
        to.addIceCandidate(e.candidate).catch(() => {});
        return;
      }
      throughRelay(e.candidate)
        .then((rewritten) => (rewritten ? to.addIceCandidate(rewritten) : undefined))
        .catch((error) => console.error('relay candidate:', error));
    };
  }

  /** With ?relay=, a description without candidates: they travel (rewritten) only through link(). */
  function withoutCandidates(description) {
    if (!relayPort) return description;
    const sdp = description.sdp.split('\r\n').filter((line) => !line.startsWith('a=candidate:')).join('\r\n');
    return { type: description.type, sdp };
  }

  /** With ?audio=play, plays what `pc` receives of audio. */
  function playRemoteAudio(pc, call) {
    if (!playAudio) return;
    pc.addEventListener('track', (e) => {
      if (e.track.kind !== 'audio') return;
      const element = document.createElement('audio');
      element.autoplay = true;
      element.srcObject = e.streams[0] || new MediaStream([e.track]);
      document.body.appendChild(element);
      call.players.push(element);
      element.play().catch((error) => console.error('audio play:', error));
    });
  }

  async function waitConnected(pc, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    while (pc.connectionState !== 'connected') {
      if (pc.connectionState === 'failed' || pc.connectionState === 'closed') throw new Error('connection ' + pc.connectionState);
      if (Date.now() > deadline) throw new Error('not connected after ' + timeoutMs + ' ms: ' + pc.connectionState);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Offer from `caller`, answer from `callee`, both descriptions set on both sides. */
  async function negotiate(caller, callee) {
    const offer = await caller.createOffer();
    await caller.setLocalDescription(offer);
    await callee.setRemoteDescription(withoutCandidates(offer));
    const answer = await callee.createAnswer();
    await callee.setLocalDescription(answer);
    await caller.setRemoteDescription(withoutCandidates(answer));
  }

  /**
   * Connects two peer connections made with `Rtc` (so an iframe's constructor can be used).
   * Options: audio, video (fake devices), dataChannel, win (the window whose getUserMedia is used),
   * twoWay (the callee sends media too; default false: only the caller sends).
   */
  async function loopbackCall(Rtc, options) {
    const opts = Object.assign({ audio: true, video: true, dataChannel: false, twoWay: false, win: window, timeoutMs: 20000 }, options || {});
    const caller = new Rtc();
    const callee = new Rtc();
    const call = { caller, callee, stream: null, calleeStream: null, channel: null, players: [] };
    calls.push(call);
    link(caller, callee);
    link(callee, caller);
    playRemoteAudio(callee, call);
    if (opts.twoWay) playRemoteAudio(caller, call);
    if (opts.audio || opts.video) {
      const constraints = { audio: opts.audio, video: opts.video };
      call.stream = await opts.win.navigator.mediaDevices.getUserMedia(constraints);
      for (const track of call.stream.getTracks()) caller.addTrack(track, call.stream);
      if (opts.twoWay) {
        call.calleeStream = await opts.win.navigator.mediaDevices.getUserMedia(constraints);
        for (const track of call.calleeStream.getTracks()) callee.addTrack(track, call.calleeStream);
      }
    }
    if (opts.dataChannel) {
      call.channel = caller.createDataChannel('e2e');
      callee.ondatachannel = (e) => { e.channel.onmessage = () => {}; };
    }
    await negotiate(caller, callee);
    await Promise.all([waitConnected(caller, opts.timeoutMs), waitConnected(callee, opts.timeoutMs)]);
    if (call.channel) {
      const channel = call.channel;
      const send = () => { if (channel.readyState === 'open') channel.send('x'.repeat(100)); };
      call.timer = setInterval(send, 100);
    }
    return states();
  }

  function allPcs() {
    return calls.flatMap((c) => [c.caller, c.callee]);
  }

  function states() {
    return allPcs().map((pc) => ({ connectionState: pc.connectionState, signalingState: pc.signalingState }));
  }

  /** Closes every peer connection (pc.close() fires no connectionstatechange) and stops the media. */
  function hangUp() {
    for (const call of calls) {
      if (call.timer) clearInterval(call.timer);
      call.caller.close();
      call.callee.close();
      for (const stream of [call.stream, call.calleeStream]) if (stream) for (const track of stream.getTracks()) track.stop();
      for (const player of call.players.splice(0)) { player.srcObject = null; player.remove(); }
    }
    return states();
  }

  /** The stats objects of one type from every live connection, plain objects. */
  async function statsOfType(type) {
    const out = [];
    for (const pc of allPcs()) {
      if (pc.connectionState === 'closed') continue;
      const report = await pc.getStats();
      report.forEach((stat) => { if (stat.type === type) out.push(Object.assign({}, stat)); });
    }
    return out;
  }

  /** Every stats object of every live connection as plain JSON copies, one array per connection. */
  async function reports() {
    const out = [];
    for (const pc of allPcs()) {
      if (pc.connectionState === 'closed') continue;
      const stats = [];
      (await pc.getStats()).forEach((stat) => stats.push(JSON.parse(JSON.stringify(stat))));
      out.push(stats);
    }
    return out;
  }

  window.e2e = { loopbackCall, negotiate, hangUp, states, statsOfType, reports, allPcs };
  window.startCall = (options) => loopbackCall(window.RTCPeerConnection, options);
  window.hangUp = hangUp;
  Object.defineProperty(window, 'pcs', { get: () => ({ count: allPcs().length, states: states() }), configurable: true });
})();
