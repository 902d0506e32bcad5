import assert from "node:assert/strict";
import { redactUrl, resolveFileUrl } from "../src/url.ts";

Deno.test("redactUrl() hides userinfo and nothing else", () => {
  assert.equal(redactUrl("http://user:pass@host:8080/x?y=1"), "http://<redacted>@host:8080/x?y=1");
  assert.equal(redactUrl("https://token@host/"), "https://<redacted>@host/");
  assert.equal(redactUrl("http://host/path@odd"), "http://host/path@odd");
  assert.equal(redactUrl("http://host/"), "http://host/");
  assert.equal(redactUrl("not a url"), "not a url");
});

Deno.test("resolveFileUrl() resolves file://relative against the working directory", () => {
  assert.equal(resolveFileUrl("file://examples/seed.json", "/srv/app"), "file:///srv/app/examples/seed.json");
  assert.equal(
    resolveFileUrl("file://./examples/seed.json", "/srv/app/"),
    "file:///srv/app/examples/seed.json",
  );
  assert.equal(resolveFileUrl("file:///etc/x.json", "/srv"), "file:///etc/x.json");
  assert.equal(resolveFileUrl("http://a/", "/srv"), "http://a/");
});
