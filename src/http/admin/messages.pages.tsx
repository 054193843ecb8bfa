/**
 * @module http/admin/messages.pages — kept for the pages that import the messaging pieces from here;
 * they live in messages.views.tsx (components) and messages.routes.tsx (routes).
 */
export { ContactConversation, contactHref, Failure, Handling, MessageRow, ReachabilityBox, SendForm, sendErrorText } from './messages.views.tsx';
