/**
 * Files with the official Client4 over real HTTP: multipart upload (FormData), the bytes with
 * Content-Type / Content-Disposition, infos, attaching to a post with `file_ids`, read
 * permissions, the `FileSettings.MaxFileSize` limit (413), bad forms (400), and bytes kept off the
 * lowdb snapshot (a `files/` folder beside it).
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { startMockServer } from '../support/fast-seed-mock.js';
import { expectFailure, expectForbidden, raw, startClientMock, UNKNOWN_ID, type ClientMock } from './support/client4.js';

function form(channelId: string | undefined, files: Array<{ name: string; body: string | Uint8Array; type?: string }>, clientIds: string[] = []): FormData {
  const data = new FormData();
  if (channelId !== undefined) data.append('channel_id', channelId);
  for (const id of clientIds) data.append('client_ids', id);
  for (const f of files) data.append('files', new Blob([f.body], { type: f.type ?? 'application/octet-stream' }), f.name);
  return data;
}

describe('mock server: files (Client4 over HTTP)', () => {
  let t: ClientMock;
  before(async () => { t = await startClientMock(); });
  after(async () => { await t.close(); });

  /** `GET /files/{id}/info` (Client4 has no method for it): status, error id and body. */
  const fileInfo = async (token: string, id: string) => raw(t.url, 'GET', `/files/${id}/info`, token);

  it('uploadFile → 201 {file_infos, client_ids}; GET /files/{id} answers the bytes; a post with file_ids attaches them', async () => {
    const res = await t.user.uploadFile(form(t.offTopicId, [{ name: 'report.txt', body: 'hello file', type: 'text/plain' }, { name: 'pixel.png', body: new Uint8Array([137, 80, 78, 71]) }], ['c1', 'c2']));
    expect(res.client_ids).to.deep.equal(['c1', 'c2']);
    expect(res.file_infos).to.have.lengthOf(2);
    const [txt, png] = res.file_infos;
    expect(txt).to.include({ name: 'report.txt', extension: 'txt', size: 10, mime_type: 'text/plain', user_id: t.userId, channel_id: t.offTopicId, post_id: '' });
    expect(png).to.include({ name: 'pixel.png', extension: 'png', mime_type: 'image/png', size: 4 });

    const download = await fetch(t.user.getFileUrl(txt.id, 0), { headers: { Authorization: `Bearer ${t.user.getToken()}` } });
    expect(download.status).to.equal(200);
    expect(download.headers.get('content-type')).to.equal('text/plain');
    expect(download.headers.get('content-disposition')).to.equal('attachment;filename="report.txt"; filename*=UTF-8\'\'report.txt');
    expect(await download.text()).to.equal('hello file');
    const image = await fetch(`${t.url}/api/v4/files/${png.id}`, { headers: { Authorization: `Bearer ${t.user.getToken()}` } });
    expect(image.headers.get('content-disposition')).to.match(/^inline;filename="pixel.png"/);
    expect(Buffer.from(await image.arrayBuffer())).to.deep.equal(Buffer.from([137, 80, 78, 71]));

    // before it is attached, only the uploader may read it
    const hidden = await fileInfo(t.other.getToken(), txt.id);
    expect([hidden.status, hidden.body.detailed_error]).to.deep.equal([403, `userId=${t.otherId}, permission=read_channel`]);
    expect((await fileInfo(t.user.getToken(), txt.id)).body).to.include({ id: txt.id, post_id: '' });
    const post = await t.user.createPost({ channel_id: t.offTopicId, message: 'with files', file_ids: [txt.id, png.id, UNKNOWN_ID] } as never);
    expect(post.file_ids).to.deep.equal([txt.id, png.id]);
    expect(post.metadata.files?.map((f) => f.id)).to.deep.equal([txt.id, png.id]);
    const infos = await t.other.getFileInfosForPost(post.id);
    expect(infos.map((f) => [f.id, f.post_id])).to.deep.equal([[txt.id, post.id], [png.id, post.id]]);
    expect((await fileInfo(t.other.getToken(), txt.id)).body.post_id).to.equal(post.id);
    // a file already attached is not attached twice
    const second = await t.user.createPost({ channel_id: t.offTopicId, message: 'again', file_ids: [txt.id] } as never);
    expect(second.file_ids).to.equal(undefined);
    expect((await t.user.getChannelStats(t.offTopicId, true)).files_count).to.equal(2);
    await t.user.deletePost(post.id);
    expect([(await fileInfo(t.user.getToken(), txt.id)).status, (await fileInfo(t.user.getToken(), txt.id)).body.id]).to.deep.equal([404, 'app.file_info.get.app_error']);
    await expectFailure(t.user.getFileInfosForPost(post.id), 404, 'app.post.get.app_error');
  });

  it('reading a file needs read_channel, its post\'s infos read_channel_content; unknown ids are 404', async () => {
    const up = await t.admin.uploadFile(form(t.privateId, [{ name: 'secret.txt', body: 's3cret' }]));
    const post = await t.admin.createPost({ channel_id: t.privateId, message: 'secret', file_ids: [up.file_infos[0].id] } as never);
    await expectForbidden(t.user.getFileInfosForPost(post.id), 'read_channel_content');
    expect((await fileInfo(t.user.getToken(), up.file_infos[0].id)).status).to.equal(403);
    const bytes = await raw(t.url, 'GET', `/files/${up.file_infos[0].id}`, t.user.getToken());
    expect(bytes.status).to.equal(403);
    expect((await fileInfo(t.user.getToken(), UNKNOWN_ID)).body.id).to.equal('app.file_info.get.app_error');
    await expectForbidden(t.user.getFileInfosForPost(UNKNOWN_ID), 'read_channel_content');
  });

  it('upload: 403 upload_file outside the channel; 400 for a missing or bad channel_id, unknown fields, conflicting channels, client_ids, broken forms; raw-body uploads', async () => {
    await expectForbidden(t.user.uploadFile(form(t.privateId, [{ name: 'a.txt', body: 'a' }])), 'upload_file');
    await expectForbidden(t.user.uploadFile(form(UNKNOWN_ID, [{ name: 'a.txt', body: 'a' }])), 'upload_file');
    const noChannel = await expectFailure(t.user.uploadFile(form(undefined, [{ name: 'a.txt', body: 'a' }])), 400, 'api.context.invalid_body_param.app_error');
    expect(noChannel.detailed).to.equal('');
    expect(await t.user.uploadFile(form(t.offTopicId, []))).to.deep.equal({ file_infos: [], client_ids: [] });
    await expectFailure(t.user.uploadFile(form(t.offTopicId, [{ name: 'a.txt', body: 'a' }], ['x', 'y'])), 400, 'api.file.upload_file.incorrect_number_of_client_ids.app_error');
    await expectFailure(t.user.uploadFile(form('not-an-id', [{ name: 'a.txt', body: 'a' }])), 400, 'api.context.invalid_url_param.app_error');
    const extra = form(t.offTopicId, [{ name: 'a.txt', body: 'a' }]);
    extra.append('color', 'blue');
    expect((await expectFailure(t.user.uploadFile(extra), 400, 'api.context.invalid_body_param.app_error')).detailed).to.equal('');
    const twoChannels = form(t.offTopicId, [{ name: 'a.txt', body: 'a' }]);
    const conflict = await fetch(`${t.url}/api/v4/files?channel_id=${t.mock.seeded.channels['town-square'].id}`, { method: 'POST', body: twoChannels, headers: { Authorization: `Bearer ${t.user.getToken()}` } });
    expect([conflict.status, ((await conflict.json()) as { id: string }).id]).to.deep.equal([400, 'api.file.upload_file.multiple_channel_ids.app_error']);
    const broken = await raw(t.url, 'POST', `/files?channel_id=${t.offTopicId}`, t.user.getToken(), '--x\r\nnot a part', 'multipart/form-data; boundary=x');
    expect([broken.status, broken.body.id]).to.deep.equal([400, 'api.file.upload_file.read_request.app_error']);
    const empty = await raw(t.url, 'POST', `/files?channel_id=${t.offTopicId}&filename=a.txt`, t.user.getToken(), '', 'text/plain');
    expect([empty.status, empty.body.id]).to.deep.equal([400, 'api.file.upload_file.read_request.app_error']);
    // a raw body (uploadFileSimple): channel_id and filename in the query
    const simple = await fetch(`${t.url}/api/v4/files?channel_id=${t.offTopicId}&filename=notes.md&client_id=c9`, {
      method: 'POST', body: '# notes', headers: { Authorization: `Bearer ${t.user.getToken()}`, 'Content-Type': 'text/markdown' },
    });
    expect(simple.status).to.equal(201);
    const simpleBody = (await simple.json()) as { file_infos: Array<{ name: string; size: number; mime_type: string }>; client_ids: string[] };
    expect(simpleBody.client_ids).to.deep.equal(['c9']);
    expect(simpleBody.file_infos[0]).to.include({ name: 'notes.md', size: 7, mime_type: 'text/markdown' });
    const noName = await raw(t.url, 'POST', `/files?channel_id=${t.offTopicId}`, t.user.getToken(), 'x', 'text/plain');
    expect([noName.status, noName.body.message]).to.deep.equal([400, 'Invalid or missing filename parameter in request URL.']);
    const noChannelRaw = await raw(t.url, 'POST', '/files?filename=a.txt', t.user.getToken(), 'x', 'text/plain');
    expect([noChannelRaw.status, noChannelRaw.body.message]).to.deep.equal([400, 'Invalid or missing channel_id parameter in request URL.']);
    // the channel as a query parameter works too
    const viaQuery = new FormData();
    viaQuery.append('files', new Blob(['q']), 'q.txt');
    const res = await fetch(`${t.url}/api/v4/files?channel_id=${t.offTopicId}`, { method: 'POST', body: viaQuery, headers: { Authorization: `Bearer ${t.user.getToken()}` } });
    expect(res.status).to.equal(201);
    expect(((await res.json()) as { file_infos: Array<{ channel_id: string }> }).file_infos[0].channel_id).to.equal(t.offTopicId);
  });

  it('FileSettings.MaxFileSize bounds an upload: 413 too_large_detailed, the server keeps answering', async () => {
    await t.admin.patchConfig({ FileSettings: { MaxFileSize: 1024 } } as never);
    try {
      const big = await expectFailure(t.user.uploadFile(form(t.offTopicId, [{ name: 'big.bin', body: new Uint8Array(4096) }])), 413, 'api.file.upload_file.too_large_detailed.app_error');
      expect(big.detailed).to.equal('');
      // Without a Content-Length (chunked), the limit is enforced while streaming.
      const body = await new Response(form(t.offTopicId, [{ name: 'big.bin', body: new Uint8Array(64 * 1024) }])).blob();
      expect(body.type).to.match(/^multipart\/form-data; ?boundary=/);
      const stream = new ReadableStream({ start(c) { void body.arrayBuffer().then((b) => { c.enqueue(new Uint8Array(b)); c.close(); }); } });
      const chunked = await fetch(`${t.url}/api/v4/files`, {
        method: 'POST', body: stream, duplex: 'half', headers: { Authorization: `Bearer ${t.user.getToken()}`, 'Content-Type': body.type },
      } as RequestInit);
      expect(chunked.status).to.equal(413);
      expect(((await chunked.json()) as { id: string }).id).to.equal('api.file.upload_file.too_large_detailed.app_error');
      const ok = await t.user.uploadFile(form(t.offTopicId, [{ name: 'small.txt', body: 'fits' }]));
      expect(ok.file_infos[0].size).to.equal(4);
    } finally {
      await t.admin.patchConfig({ FileSettings: { MaxFileSize: 100 * 1024 * 1024 } } as never);
    }
    await t.admin.patchConfig({ FileSettings: { EnableFileAttachments: false } } as never);
    try {
      await expectFailure(t.user.uploadFile(form(t.offTopicId, [{ name: 'a.txt', body: 'a' }])), 403, 'api.file.attachments.disabled.app_error');
    } finally {
      await t.admin.patchConfig({ FileSettings: { EnableFileAttachments: true } } as never);
    }
  });

  it('a file-backed mock keeps the bytes in files/ beside db.json, not in the snapshot, across a restart', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'mm-files-'));
    const dbFile = path.join(dir, 'db.json');
    try {
      let mock = await startMockServer({ port: 0, dbFile });
      const login = async () => {
        const res = await fetch(`${mock.url}/api/v4/users/login`, { method: 'POST', body: JSON.stringify({ login_id: 'user-1', password: 'SampleUs@r-1' }) });
        return res.headers.get('token') ?? '';
      };
      const channelId = mock.seeded.channels['off-topic'].id;
      const marker = 'BYTES-NOT-IN-THE-SNAPSHOT';
      const up = await fetch(`${mock.url}/api/v4/files`, { method: 'POST', body: form(channelId, [{ name: 'm.txt', body: marker }]), headers: { Authorization: `Bearer ${await login()}` } });
      expect(up.status).to.equal(201);
      const id = ((await up.json()) as { file_infos: Array<{ id: string }> }).file_infos[0].id;
      await mock.close();
      expect(await readdir(path.join(dir, 'files'))).to.deep.equal([id]);
      expect(await readFile(dbFile, 'utf8')).to.not.include(marker);
      mock = await startMockServer({ port: 0, dbFile });
      const again = await fetch(`${mock.url}/api/v4/files/${id}`, { headers: { Authorization: `Bearer ${await login()}` } });
      expect(await again.text()).to.equal(marker);
      await mock.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
