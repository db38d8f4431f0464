/**
 * The catalogue of errors the bridge's public HTTP endpoints answer with
 * (Fastify lib/errors.js style). Every bad request gets a 4xx with a stable
 * code and a message that names the fix, Russian first with English beside it;
 * nothing is stored for it. Listed in docs/errors.md.
 */
export interface HttpErrorSpec {
  statusCode: number;
  code: string;
  messageRu: string;
  messageEn: string;
}

export const HTTP_ERRORS = {
  notFound: {
    statusCode: 404,
    code: 'BRG_ERR_NOT_FOUND',
    messageRu: 'Такого адреса нет. Проверьте путь и метод запроса.',
    messageEn: 'No such route. Check the path and the method.',
  },
  bodyTooLarge: {
    statusCode: 413,
    code: 'BRG_ERR_BODY_TOO_LARGE',
    messageRu: 'Тело запроса слишком большое.',
    messageEn: 'Request body too large.',
  },
  unsupportedMediaType: {
    statusCode: 415,
    code: 'BRG_ERR_UNSUPPORTED_MEDIA_TYPE',
    messageRu: 'Неподдерживаемый Content-Type: нужен application/json или application/x-www-form-urlencoded.',
    messageEn: 'Unsupported Content-Type: use application/json or application/x-www-form-urlencoded.',
  },
  malformedBody: {
    statusCode: 400,
    code: 'BRG_ERR_MALFORMED_BODY',
    messageRu: 'Тело запроса не разбирается (неверный JSON или форма).',
    messageEn: 'The request body cannot be parsed (invalid JSON or form).',
  },
  invalidBody: {
    statusCode: 400,
    code: 'BRG_ERR_INVALID_BODY',
    messageRu: 'Тело запроса не соответствует ожидаемой схеме.',
    messageEn: 'The request body does not match the expected shape.',
  },
  unknownBot: {
    statusCode: 404,
    code: 'BRG_ERR_UNKNOWN_BOT',
    messageRu: 'Бот с таким идентификатором не настроен: проверьте адрес вебхука.',
    messageEn: 'No bot with this id is configured: check the webhook URL.',
  },
  invalidQuery: {
    statusCode: 400,
    code: 'BRG_ERR_INVALID_QUERY',
    messageRu: 'Параметры запроса неверны.',
    messageEn: 'The query parameters are not valid.',
  },
  erasureUserId: {
    statusCode: 400,
    code: 'BRG_ERR_ERASURE_USER_ID',
    messageRu: 'max_user_id должен быть идентификатором пользователя MAX: целое число, например "123456789".',
    messageEn: 'max_user_id must be a MAX user id: a whole number, e.g. "123456789".',
  },
  erasureRequester: {
    statusCode: 400,
    code: 'BRG_ERR_ERASURE_REQUESTER',
    messageRu: 'Для удаления (dry_run: false) укажите requested_by: кто запросил удаление (1–200 символов, без данных клиента).',
    messageEn: 'An erasure (dry_run: false) needs requested_by: who asked for it (1–200 characters, no client data).',
  },
  notGated: {
    statusCode: 409,
    code: 'BRG_ERR_NOT_GATED',
    messageRu: 'Диалог не задержан и не заблокирован проверкой: отпускать нечего.',
    messageEn: 'The conversation is neither held nor blocked by a check: nothing to release.',
  },
  unauthorized: {
    statusCode: 401,
    code: 'BRG_ERR_UNAUTHORIZED',
    messageRu: 'Неверная или отсутствующая подпись запроса.',
    messageEn: 'Wrong or missing request credentials.',
  },
  adminCrossSite: {
    statusCode: 403,
    code: 'BRG_ERR_ADMIN_CSRF',
    messageRu: 'Форма отклонена: она отправлена с другого сайта или устарела. Откройте страницу заново и повторите.',
    messageEn: 'The form was refused: it came from another site or is out of date. Open the page again and retry.',
  },
  adminLoginIncomplete: {
    statusCode: 400,
    code: 'BRG_ERR_ADMIN_LOGIN_INCOMPLETE',
    messageRu: 'Введите имя и пароль.',
    messageEn: 'Enter the name and the password.',
  },
  adminLoginFailed: {
    statusCode: 401,
    code: 'BRG_ERR_ADMIN_LOGIN_FAILED',
    messageRu: 'Неверное имя пользователя или пароль.',
    messageEn: 'Wrong user name or password.',
  },
  adminLocked: {
    statusCode: 401,
    code: 'BRG_ERR_ADMIN_LOCKED',
    messageRu: 'Учётная запись заблокирована после нескольких неверных паролей подряд.',
    messageEn: 'The account is locked after several wrong passwords in a row.',
  },
  adminForbidden: {
    statusCode: 403,
    code: 'BRG_ERR_ADMIN_FORBIDDEN',
    messageRu: 'Недостаточно прав: это доступно только роли admin.',
    messageEn: 'Not allowed: only the admin role may do this.',
  },
  internal: {
    statusCode: 500,
    code: 'BRG_ERR_INTERNAL',
    messageRu: 'Внутренняя ошибка; подробности в журнале сервиса.',
    messageEn: 'Internal error; see the service log.',
  },
  mediaSignature: {
    statusCode: 403,
    code: 'BRG_ERR_MEDIA_SIGNATURE',
    messageRu: 'Ссылка на файл недействительна (подпись не совпадает).',
    messageEn: 'The file link is not valid (signature mismatch).',
  },
  mediaExpired: {
    statusCode: 410,
    code: 'BRG_ERR_MEDIA_EXPIRED',
    messageRu: 'Срок действия ссылки на файл истёк.',
    messageEn: 'The file link has expired.',
  },
  unavailable: {
    statusCode: 503,
    code: 'BRG_ERR_UNAVAILABLE',
    messageRu: 'Сервис останавливается или хранилище недоступно; повторите позже.',
    messageEn: 'Shutting down or store unavailable; try again later.',
  },
} as const satisfies Record<string, HttpErrorSpec>;

export type HttpErrorName = keyof typeof HTTP_ERRORS;

/** Error thrown inside a route to answer with a catalogued 4xx/5xx. */
export class HttpError extends Error {
  readonly spec: HttpErrorSpec;
  readonly detail: string | undefined;

  constructor(name: HttpErrorName, detail?: string) {
    super(HTTP_ERRORS[name].messageEn);
    this.name = 'HttpError';
    this.spec = HTTP_ERRORS[name];
    this.detail = detail;
  }
}

export interface HttpErrorBody {
  error: string;
  message: string;
  message_en: string;
  detail?: string;
}

export function httpErrorBody(spec: HttpErrorSpec, detail?: string): HttpErrorBody {
  const body: HttpErrorBody = { error: spec.code, message: spec.messageRu, message_en: spec.messageEn };
  if (detail) body.detail = detail;
  return body;
}
