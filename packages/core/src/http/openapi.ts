/**
 * Generates the OpenAPI 3.1 document from the route table, so the reference can never drift
 * from what the engine serves. Schemas come from the same zod definitions that validate.
 */
import { z } from "zod";
import type { AnyRoute } from "./route.js";

const problemSchema = {
  type: "object",
  description: "RFC 9457 problem details with a stable machine `code`.",
  properties: {
    type: { type: "string" },
    title: { type: "string" },
    status: { type: "integer" },
    detail: { type: "string" },
    code: { type: "string" },
    errors: {
      type: "array",
      items: { type: "object", properties: { pointer: { type: "string" }, detail: { type: "string" } } },
    },
  },
  required: ["type", "title", "status", "detail", "code"],
};

function jsonSchema(schema: z.ZodType, io: "input" | "output"): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as Record<
    string,
    unknown
  >;
  return rest;
}

/** One `in: query` parameter per member of a route's `z.object` query schema. */
function queryParameters(schema: z.ZodType | undefined): Record<string, unknown>[] {
  if (!(schema instanceof z.ZodObject)) return [];
  const shape = schema.shape as Record<string, z.ZodType>;
  return Object.entries(shape).map(([name, member]) => {
    const { description, ...memberSchema } = jsonSchema(member, "input");
    return {
      name,
      in: "query",
      required: !member.safeParse(undefined).success,
      ...(typeof description === "string" ? { description } : {}),
      schema: memberSchema,
    };
  });
}

/** Options of {@link buildOpenAPIDocument}. */
export interface OpenAPIOptions {
  serverURL: string;
  version: string;
  /** Cookie name, for the security scheme's documentation. */
  cookieName: string;
}

/** The OpenAPI 3.1 document for `routes`. */
export function buildOpenAPIDocument(routes: AnyRoute[], options: OpenAPIOptions): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const operation: Record<string, unknown> = {
      summary: route.summary,
      tags: [route.tag],
      operationId: `${route.method.toLowerCase()}${route.path.replace(/[^a-zA-Z0-9]+(.)?/g, (_, next: string | undefined) => (next ?? "").toUpperCase())}`,
      responses: Object.fromEntries(
        Object.entries(route.responses).map(([status, response]) => {
          const isError = Number(status) >= 400;
          const content = response.schema
            ? { "application/json": { schema: jsonSchema(response.schema, "output") } }
            : isError
              ? { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } }
              : undefined;
          return [status, { description: response.description, ...(content ? { content } : {}) }];
        }),
      ),
    };
    const parameters: Record<string, unknown>[] = [...route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
      name,
      in: "path",
      required: true,
      schema: { type: "string" },
    }));
    parameters.push(...queryParameters(route.query));
    if (parameters.length > 0) operation.parameters = parameters;
    if (route.body) {
      const schema = jsonSchema(route.body, "input");
      const formats = route.bodyFormats ?? ["json"];
      operation.requestBody = {
        required: true,
        content: Object.fromEntries(
          formats.map((format) => [
            format === "json" ? "application/json" : "application/x-www-form-urlencoded",
            { schema },
          ]),
        ),
      };
    }
    if (route.auth === "session") operation.security = [{ sessionCookie: [] }, { bearerToken: [] }];
    if (route.auth === "admin") operation.security = [{ secretKey: [] }];
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operation;
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Gatehouse API",
      version: options.version,
      description:
        "Errors are `application/problem+json` (RFC 9457) with a stable `code`. Send `Auth-Transport: bearer` to receive tokens in the body instead of a cookie.",
    },
    servers: [{ url: options.serverURL }],
    paths,
    components: {
      schemas: { Problem: problemSchema },
      securitySchemes: {
        sessionCookie: { type: "apiKey", in: "cookie", name: options.cookieName },
        bearerToken: { type: "http", scheme: "bearer" },
        secretKey: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "gh_sk_…",
          description: "An admin secret key; opens /v1/admin/ only, never accepted in a URL.",
        },
      },
    },
  };
}
