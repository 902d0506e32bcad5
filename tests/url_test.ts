import assert from "node:assert/strict";
import { displayText, displayUrl, redactQuery, redactUrl, resolveFileUrl } from "../src/url.ts";

Deno.test("redactUrl() hides userinfo and nothing else", () => {
  assert.equal(redactUrl("http://user:pass@host:8080/x?y=1"), "http://<redacted>@host:8080/x?y=1");
  assert.equal(redactUrl("https://token@host/"), "https://<redacted>@host/");
  assert.equal(redactUrl("http://host/path@odd"), "http://host/path@odd");
  assert.equal(redactUrl("http://host/"), "http://host/");
  assert.equal(redactUrl("not a url"), "not a url");
});

Deno.test("redactUrl() cuts at the last @ of the authority, as the URL parser does", () => {
  const url = "http://user:p@ss@127.0.0.1:18081/ok";
  assert.equal(new URL(url).host, "127.0.0.1:18081");
  assert.equal(redactUrl(url), "http://<redacted>@127.0.0.1:18081/ok");
  assert.equal(redactUrl("https://a@b@c@host"), "https://<redacted>@host");
  // An @ after the authority (path, query, fragment) is not userinfo, with or without userinfo before it.
  assert.equal(redactUrl("http://u:p@host/a@b?c=@d#@e"), "http://<redacted>@host/a@b?c=@d#@e");
  assert.equal(redactUrl("http://host?x=a@b"), "http://host?x=a@b");
  assert.equal(redactUrl("http://host#a@b"), "http://host#a@b");
  assert.equal(redactUrl("http://u:p@host\\a@b"), "http://<redacted>@host\\a@b");
  assert.equal(redactUrl("http://u:p@ss@host"), "http://<redacted>@host");
  assert.equal(redactUrl(redactUrl(url)), redactUrl(url), "idempotent");
  // Whatever the password, nothing of it is left.
  for (const password of ["p@ss", "@", "a@b@c", "x:y@z"]) {
    const shown = redactUrl(`http://user:${password}@10.0.0.1:9100/metrics`);
    assert.equal(shown, "http://<redacted>@10.0.0.1:9100/metrics", password);
  }
});

Deno.test("redactQuery() masks the values of secret-looking query keys, and nothing else", () => {
  assert.equal(redactQuery("http://h/m?token=SECRET1"), "http://h/m?token=<redacted>");
  assert.equal(
    redactQuery(
      "http://h/m?page=2&api_key=k&Password=p&X-Amz-Signature=s&sig=1&auth=a&client_secret=c&pass=x",
    ),
    "http://h/m?page=2&api_key=<redacted>&Password=<redacted>&X-Amz-Signature=<redacted>&sig=<redacted>" +
      "&auth=<redacted>&client_secret=<redacted>&pass=<redacted>",
  );
  assert.equal(
    redactQuery("http://h/?AccessToken=t&credentials=c"),
    "http://h/?AccessToken=<redacted>&credentials=<redacted>",
  );
  // Keys are read decoded; an empty value or a bare key has nothing to hide; the fragment is kept.
  assert.equal(
    redactQuery("http://h/?%74oken=t&token=&token#token=f"),
    "http://h/?%74oken=<redacted>&token=&token#token=f",
  );
  assert.equal(redactQuery("http://h/?q=token&name=key"), "http://h/?q=token&name=key");
  assert.equal(redactQuery("http://h/path"), "http://h/path");
  assert.equal(redactQuery("http://h/?%zz=1&token=a=b"), "http://h/?%zz=1&token=<redacted>");
});

Deno.test("displayUrl() and displayText() hide userinfo and secret query values, in URLs and in text", () => {
  assert.equal(
    displayUrl("http://u:p@ss@h:1/m?token=SECRET1&x=1"),
    "http://<redacted>@h:1/m?token=<redacted>&x=1",
  );
  const message =
    'Cannot fetch "http://h:1/m?token=SECRET1": connection refused, see https://a@b/?key=k2 too';
  const shown = displayText(message);
  assert.equal(
    shown,
    'Cannot fetch "http://h:1/m?token=<redacted>": connection refused, see https://<redacted>@b/?key=<redacted> too',
  );
  assert.equal(displayText("no url here, token=x"), "no url here, token=x");
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
