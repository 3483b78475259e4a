// Node-style request parts to a web Request: nothing a client sends makes it throw.
import { describe, expect, it } from "vitest";
import { absoluteURL, toWebRequest } from "./node-request.js";

describe("toWebRequest", () => {
  it("carries method, URL and headers, repeated headers included", () => {
    const request = toWebRequest({
      method: "POST",
      protocol: "https",
      host: "app.example.com:8443",
      path: "/a/b?c=1",
      headers: { authorization: "Bearer x", cookie: "a=1", "x-multi": ["1", "2"], absent: undefined },
    });
    expect(request.method).toBe("POST");
    expect(request.url).toBe("https://app.example.com:8443/a/b?c=1");
    expect(request.headers.get("authorization")).toBe("Bearer x");
    expect(request.headers.get("x-multi")).toBe("1, 2");
  });

  it("skips HTTP/2 pseudo-headers and values Headers refuses", () => {
    const request = toWebRequest({
      method: "GET",
      protocol: "http",
      host: "h",
      path: "/",
      headers: { ":path": "/", "x-bad": "a\r\nb", cookie: "ok=1" },
    });
    expect(request.headers.get("cookie")).toBe("ok=1");
    expect(request.headers.has("x-bad")).toBe(false);
  });

  it("survives methods fetch forbids and hosts that are not hosts", () => {
    for (const method of ["CONNECT", "TRACE", "TRACK", "bad method", undefined]) {
      expect(() => toWebRequest({ method, protocol: "http", host: "bad host", path: "/x", headers: {} })).not.toThrow();
    }
  });
});

describe("absoluteURL", () => {
  it("keeps a protocol-relative looking target on this host", () => {
    expect(absoluteURL({ protocol: "http", host: "app.test", path: "//evil.example/x" })).toBe(
      "http://app.test//evil.example/x",
    );
  });

  it("falls back to localhost for a Host header that is not a host, and to / for a non-path target", () => {
    expect(absoluteURL({ protocol: "https", host: "a b", path: "/p" })).toBe("http://localhost/p");
    expect(absoluteURL({ protocol: "http", host: undefined, path: "http://other/x" })).toBe("http://localhost/");
  });
});
