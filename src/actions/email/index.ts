/** Email alerts and reports (nodemailer): see mailer.ts. */
export { Mailer, type MailerOptions, type AlertExtra, type AlertOutcome } from './mailer.js';
