/**
 * The webhooks admin API under `/v1/admin/webhooks`: endpoints (create, list, get, update,
 * delete), secret rotation, the delivery log with manual retries, and test events. Every route
 * needs an admin secret key (`auth: "admin"`).
 */
import { defineRoute, jsonResponse, noContentResponse, type AnyRoute } from "../http/route.js";
import {
  createWebhookBody,
  deliveryDetailJSON,
  deliveryJSON,
  deliveryListJSON,
  listDeliveriesQuery,
  rotateSecretBody,
  toAttemptJSON,
  toDeliveryJSON,
  toWebhookJSON,
  updateWebhookBody,
  webhookJSON,
  webhookListJSON,
  webhookWithSecretJSON,
} from "./schema.js";
import type { WebhookService } from "./service.js";

/** What the webhook routes need. */
export interface WebhookRouteDependencies {
  webhooks: WebhookService;
  clock: () => number;
}

const TAG = "Admin: webhooks";
/** What the admin guard answers, documented on every route. */
const GUARD = {
  401: { description: "`secret_key_required`, `invalid_secret_key`" },
  403: { description: "`secret_key_in_query`, `non_canonical_path`" },
};
const NOT_FOUND = { description: "`not_found`: no such webhook endpoint" };

/** The webhook admin routes. */
export function webhookRoutes({ webhooks, clock }: WebhookRouteDependencies): AnyRoute[] {
  return [
    defineRoute({
      method: "POST",
      path: "/v1/admin/webhooks",
      summary: "Create a webhook endpoint; its signing secret is returned this once",
      tag: TAG,
      auth: "admin",
      body: createWebhookBody,
      responses: {
        201: { description: "Created, with the `whsec_…` secret", schema: webhookWithSecretJSON },
        ...GUARD,
        422: { description: "`validation_failed`: e.g. a refused URL (`/url`) or an unknown event type" },
      },
      async handle({ body }) {
        const { endpoint, secret } = await webhooks.create({
          url: body.url,
          eventTypes: body.event_types,
          description: body.description,
          enabled: body.enabled,
        });
        return jsonResponse(201, { ...toWebhookJSON(endpoint, clock()), secret });
      },
    }),
    defineRoute({
      method: "GET",
      path: "/v1/admin/webhooks",
      summary: "List webhook endpoints, oldest first",
      tag: TAG,
      auth: "admin",
      responses: { 200: { description: "The endpoints", schema: webhookListJSON }, ...GUARD },
      async handle() {
        const now = clock();
        return jsonResponse(200, { data: (await webhooks.list()).map((endpoint) => toWebhookJSON(endpoint, now)) });
      },
    }),
    defineRoute({
      method: "GET",
      path: "/v1/admin/webhooks/{id}",
      summary: "Get a webhook endpoint",
      tag: TAG,
      auth: "admin",
      responses: { 200: { description: "The endpoint", schema: webhookJSON }, ...GUARD, 404: NOT_FOUND },
      async handle({ params }) {
        return jsonResponse(200, toWebhookJSON(await webhooks.get(params.id!), clock()));
      },
    }),
    defineRoute({
      method: "PATCH",
      path: "/v1/admin/webhooks/{id}",
      summary: "Change a webhook endpoint's URL, event types, description, or enable or disable it",
      tag: TAG,
      auth: "admin",
      body: updateWebhookBody,
      responses: {
        200: { description: "The updated endpoint", schema: webhookJSON },
        ...GUARD,
        404: NOT_FOUND,
        422: { description: "`validation_failed`" },
      },
      async handle({ params, body }) {
        const updated = await webhooks.update(params.id!, {
          url: body.url,
          eventTypes: body.event_types,
          description: body.description,
          enabled: body.enabled,
        });
        return jsonResponse(200, toWebhookJSON(updated, clock()));
      },
    }),
    defineRoute({
      method: "DELETE",
      path: "/v1/admin/webhooks/{id}",
      summary: "Delete a webhook endpoint with its queued deliveries and delivery log",
      tag: TAG,
      auth: "admin",
      responses: { 204: { description: "Deleted" }, ...GUARD, 404: NOT_FOUND },
      async handle({ params }) {
        await webhooks.remove(params.id!);
        return noContentResponse();
      },
    }),
    defineRoute({
      method: "POST",
      path: "/v1/admin/webhooks/{id}/rotate-secret",
      summary: "Replace the signing secret; the old one keeps signing alongside during the overlap",
      tag: TAG,
      auth: "admin",
      body: rotateSecretBody,
      responses: {
        200: { description: "The endpoint with its new secret, shown this once", schema: webhookWithSecretJSON },
        ...GUARD,
        404: NOT_FOUND,
        422: { description: "`validation_failed`" },
      },
      async handle({ params, body }) {
        const { endpoint, secret } = await webhooks.rotateSecret(params.id!, body.overlap_seconds);
        return jsonResponse(200, { ...toWebhookJSON(endpoint, clock()), secret });
      },
    }),
    defineRoute({
      method: "GET",
      path: "/v1/admin/webhooks/{id}/deliveries",
      summary: "The endpoint's delivery log, newest first, with cursor pagination",
      tag: TAG,
      auth: "admin",
      query: listDeliveriesQuery,
      responses: {
        200: { description: "A page of deliveries", schema: deliveryListJSON },
        400: { description: "`invalid_query`: a bad or unknown parameter; `invalid_cursor`" },
        ...GUARD,
        404: NOT_FOUND,
      },
      async handle({ params, query }) {
        const { deliveries, nextCursor } = await webhooks.listDeliveries(params.id!, query);
        return jsonResponse(200, { data: deliveries.map(toDeliveryJSON), next_cursor: nextCursor });
      },
    }),
    defineRoute({
      method: "GET",
      path: "/v1/admin/webhooks/{id}/deliveries/{delivery_id}",
      summary: "One delivery: what was sent and every attempt",
      tag: TAG,
      auth: "admin",
      responses: {
        200: { description: "The delivery", schema: deliveryDetailJSON },
        ...GUARD,
        404: { description: "`not_found`: no such endpoint, or no such delivery of it" },
      },
      async handle({ params }) {
        const { delivery, payload, attempts } = await webhooks.getDelivery(params.id!, params.delivery_id!);
        return jsonResponse(200, {
          ...toDeliveryJSON(delivery),
          payload,
          attempts: attempts.map(toAttemptJSON),
        });
      },
    }),
    defineRoute({
      method: "POST",
      path: "/v1/admin/webhooks/{id}/deliveries/{delivery_id}/retry",
      summary: "Attempt a delivery now: one more attempt if it had finished, else its next attempt early",
      tag: TAG,
      auth: "admin",
      responses: {
        202: { description: "Queued; follow the delivery for the outcome", schema: deliveryJSON },
        ...GUARD,
        404: { description: "`not_found`: no such endpoint, or no such delivery of it" },
      },
      async handle({ params }) {
        return jsonResponse(202, toDeliveryJSON(await webhooks.retry(params.id!, params.delivery_id!)));
      },
    }),
    defineRoute({
      method: "POST",
      path: "/v1/admin/webhooks/{id}/test",
      summary: "Send a `webhook.test` event to the endpoint (one attempt)",
      tag: TAG,
      auth: "admin",
      responses: {
        202: { description: "Queued; follow the delivery for the outcome", schema: deliveryJSON },
        ...GUARD,
        404: NOT_FOUND,
        409: { description: "`webhook_disabled`: enable the endpoint first" },
      },
      async handle({ params }) {
        return jsonResponse(202, toDeliveryJSON(await webhooks.sendTest(params.id!)));
      },
    }),
  ];
}
