/**
 * Every page of the admin UI (src/admin/page.ts): the plugin (src/http/plugins/admin-ui.ts)
 * serves each at its path and the layout lists those with `nav` by `nav.order`. A new page is
 * one import and one entry here.
 */
import type { AdminPage } from '../page.ts';
import { analyticsPage } from './analytics.ts';
import { conversationPage } from './conversation.ts';
import { conversationsPage } from './conversations.ts';
import { deadLettersPage } from './dead-letters.ts';
import { doctorPage } from './doctor.ts';
import { hooksPage } from './hooks.ts';
import { journalPage } from './journal.ts';
import { overviewPage } from './overview.ts';
import { routesPage } from './routes.ts';
import { setupPage } from './setup.ts';

export const ADMIN_PAGES: AdminPage[] = [
  overviewPage,
  deadLettersPage,
  conversationsPage,
  conversationPage,
  journalPage,
  routesPage,
  hooksPage,
  analyticsPage,
  setupPage,
  doctorPage,
];
