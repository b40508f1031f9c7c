// The package ships types for `require` only; its ESM entry (what Node loads here) is the
// same class. Declared to the extent used.
declare module 'mongodb-connection-string-url' {
  export class ConnectionString {
    constructor(uri: string);
    readonly hosts: string[];
    readonly pathname: string;
  }
}
