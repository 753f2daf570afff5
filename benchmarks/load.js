// Open-loop load for `python -m benchmarks`: k6's constant-arrival-rate executor starts RATE
// requests a second for SECONDS whatever the server's answer time, so a slow server shows its
// queueing in the latencies instead of slowing the load down (no coordinated omission).
//
// KIND picks the request: "bare" (the baseline function), "web-form" (a support form),
// "whatsapp" (Twilio's incoming-message form, signed as Twilio signs it) or "gmail-push" (a
// genuine Pub/Sub push, signed by the Google stand-in, replayed as Pub/Sub redelivers).
// Every request is to URL, on this machine. The summary goes to the file SUMMARY.
import crypto from "k6/crypto";
import encoding from "k6/encoding";
import exec from "k6/execution";
import http from "k6/http";

const RATE = Number(__ENV.RATE);
const SECONDS = Number(__ENV.SECONDS);

export const options = {
  discardResponseBodies: true,
  summaryTrendStats: ["p(50)", "p(95)", "p(99)", "max", "count"],
  scenarios: {
    offered: {
      executor: "constant-arrival-rate",
      rate: RATE,
      timeUnit: "1s",
      duration: `${SECONDS}s`,
      preAllocatedVUs: Math.max(10, Math.ceil(RATE / 4)),
      maxVUs: Math.max(50, RATE * 4),
      gracefulStop: "10s",
    },
  },
};

function webForm(n) {
  const body = {
    name: "Bench",
    email: `${__ENV.TAG}-${n}@bench.example`,
    subject: "Reset password",
    message: "How do I reset my password?",
  };
  return http.post(__ENV.URL, JSON.stringify(body), {
    headers: { "content-type": "application/json" },
  });
}

// Twilio's signature: HMAC-SHA1 of the URL followed by each parameter's name and value, the
// names sorted, base64 (twilio's RequestValidator checks exactly this).
function whatsapp(n) {
  const sid = `SM${__ENV.TAG}${String(n).padStart(8, "0")}`.padEnd(34, "0").slice(0, 34);
  const phone = `+1555${String(n).padStart(7, "0")}`;
  const params = {
    AccountSid: __ENV.TWILIO_ACCOUNT_SID,
    ApiVersion: "2010-04-01",
    Body: "How do I reset my password?",
    From: `whatsapp:${phone}`,
    MessageSid: sid,
    MessageType: "text",
    NumMedia: "0",
    NumSegments: "1",
    ProfileName: "Bench",
    SmsMessageSid: sid,
    SmsSid: sid,
    SmsStatus: "received",
    To: __ENV.TWILIO_TO,
    WaId: phone.slice(1),
  };
  const names = Object.keys(params).sort();
  const signed = __ENV.SIGNED_URL + names.map((k) => k + params[k]).join("");
  const signature = crypto.hmac("sha1", __ENV.TWILIO_AUTH_TOKEN, signed, "base64");
  const form = names.map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(params[k])}`);
  return http.post(__ENV.URL, form.join("&"), {
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      "x-twilio-signature": signature,
    },
  });
}

function gmailPush() {
  const body = encoding.b64decode(__ENV.PUSH_BODY, "std", "s");
  return http.post(__ENV.URL, body, {
    headers: { "content-type": "application/json", authorization: __ENV.PUSH_AUTHORIZATION },
  });
}

const REQUESTS = { bare: () => http.post(__ENV.URL, "{}"), "web-form": webForm, whatsapp, "gmail-push": gmailPush };

export default function () {
  REQUESTS[__ENV.KIND](exec.scenario.iterationInTest);
}

export function handleSummary(data) {
  return { [__ENV.SUMMARY]: JSON.stringify(data.metrics) };
}
