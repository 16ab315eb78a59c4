// Loopback calls between two RTCPeerConnections of one page, for the end-to-end tests.
// Plain script (no modules): pages load it with <script src="/loopback.js">.
(function () {
  'use strict';
  const calls = [];

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
    await callee.setRemoteDescription(offer);
    const answer = await callee.createAnswer();
    await callee.setLocalDescription(answer);
    await caller.setRemoteDescription(answer);
  }

  /**
   * Connects two peer connections made with `Rtc` (so an iframe's constructor can be used).
   * Options: audio, video (fake devices), dataChannel, win (the window whose getUserMedia is used).
   */
  async function loopbackCall(Rtc, options) {
    const opts = Object.assign({ audio: true, video: true, dataChannel: false, win: window, timeoutMs: 20000 }, options || {});
    const caller = new Rtc();
    const callee = new Rtc();
    const call = { caller, callee, stream: null, channel: null };
    calls.push(call);
    caller.onicecandidate = (e) => { if (e.candidate) callee.addIceCandidate(e.candidate).catch(() => {}); };
    callee.onicecandidate = (e) => { if (e.candidate) caller.addIceCandidate(e.candidate).catch(() => {}); };
    if (opts.audio || opts.video) {
      call.stream = await opts.win.navigator.mediaDevices.getUserMedia({ audio: opts.audio, video: opts.video });
      for (const track of call.stream.getTracks()) caller.addTrack(track, call.stream);
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
      if (call.stream) for (const track of call.stream.getTracks()) track.stop();
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

  window.e2e = { loopbackCall, negotiate, hangUp, states, statsOfType, allPcs };
  window.startCall = (options) => loopbackCall(window.RTCPeerConnection, options);
  window.hangUp = hangUp;
  Object.defineProperty(window, 'pcs', { get: () => ({ count: allPcs().length, states: states() }), configurable: true });
})();
