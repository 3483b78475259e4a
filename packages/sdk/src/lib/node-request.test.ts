// Node-style request parts as the verifier reads them: nothing a client sends makes it throw.
import { describe, expect, it } from "vitest";
import { absoluteURL, nodeRequestView } from "./node-request.js";

describe("nodeRequestView", () => {
  it("reads method and headers as Node parsed them, repeated headers combined as Headers would", () => {
    const request = nodeRequestView(
      "post",
      { authorization: "Bearer x", cookie: "a=1", "x-multi": ["1", "2"], absent: undefined },
      () => "https://app.example.com/a",
    );
    expect(request.method).toBe("POST");
    expect(request.headers.get("authorization")).toBe("Bearer x");
    expect(request.headers.get("cookie")).toBe("a=1");
    expect(request.headers.get("x-multi")).toBe("1, 2");
    expect(request.headers.get("absent")).toBeNull();
    expect(request.headers.get("missing")).toBeNull();
  });

  it("builds the URL only when it is read", () => {
    let built = 0;
    const request = nodeRequestView(undefined, {}, () => {
      built += 1;
      return "http://localhost/x";
    });
    expect(request.method).toBe("GET");
    expect(built).toBe(0);
    expect(request.url).toBe("http://localhost/x");
    expect(built).toBe(1);
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
