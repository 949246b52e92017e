/**
 * Plain objects (prototype Object.prototype, exactly like `{}`) for a hot path that builds
 * them property by property, one kind at a time: events, their data.
 *
 * `{}` holds four properties inline and moves the others into a second array that is allocated
 * and grown as they come. An object made by `new` of a constructor of its own is sized by V8 to
 * what the first few of its kind ended up with (slack tracking): all its properties inline, one
 * allocation. One constructor per kind of object, so each kind learns its own size.
 */
export function plainObjectClass<T extends object>(): new () => T {
  const PlainObject = function () {} as unknown as new () => T;
  PlainObject.prototype = Object.prototype;
  return PlainObject;
}
