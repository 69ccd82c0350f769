import type { AppRouteHandler } from "../../lib/types.ts";
import {
  type ListPreRegistrationsRoute,
  PRE_REGISTER_ACCEPTED,
  type PreRegisterRoute,
} from "./pre-register.routes.ts";
import * as service from "./pre-register.service.ts";

const iso = (v: string) => new Date(v).toISOString();

export const preRegister: AppRouteHandler<PreRegisterRoute> = async (c) => {
  const body = c.req.valid("json");
  await service.preRegister(c.get("db"), { email: body.email, source: body.source ?? null });
  return c.json(PRE_REGISTER_ACCEPTED, 202);
};

export const listPreRegistrations: AppRouteHandler<ListPreRegistrationsRoute> = async (c) => {
  const page = await service.listPreRegistrations(c.get("db"), c.get("gate"), c.req.valid("query"));
  return c.json(
    {
      ...page,
      items: page.items.map((p) => ({
        id: p.id,
        email: p.email,
        source: p.source,
        created_at: iso(p.createdAt),
        converted_at: p.convertedAt === null ? null : iso(p.convertedAt),
      })),
    },
    200,
  );
};
