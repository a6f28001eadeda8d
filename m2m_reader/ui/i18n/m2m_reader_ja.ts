<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="ja" sourcelanguage="en">
<context>
    <name>App</name>
    <message>
        <location filename="../app.py" line="93" />
        <source>The music engine could not start (%1); reading without a soundtrack.</source>
        <translation>音楽エンジンを起動できませんでした（%1）。サウンドトラックなしで読みます。</translation>
    </message>
</context>
<context>
    <name>LibraryWindow</name>
    <message>
        <location filename="../library_window.py" line="119" />
        <source>No cover</source>
        <translation>表紙なし</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="123" />
        <source>♪ offline</source>
        <translation>♪ オフライン</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="160" />
        <source>Page %1 of %2</source>
        <translation>%1 / %2 ページ</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="165" />
        <source>%1 pages · new</source>
        <translation>%1 ページ · 未読</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="189" />
        <source>Library — m2m-reader</source>
        <translation>ライブラリ — m2m-reader</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="224" />
        <location filename="../library_window.py" line="693" />
        <source>Your library is empty.
Add a book, or drop a book file or folder here.</source>
        <translation>ライブラリは空です。
本を追加するか、本のファイルやフォルダをここにドロップしてください。</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="263" />
        <source>Library</source>
        <translation>ライブラリ</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="266" />
        <source>  Library  </source>
        <translation>  ライブラリ  </translation>
    </message>
    <message>
        <location filename="../library_window.py" line="270" />
        <source>Search titles and series</source>
        <translation>タイトルとシリーズを検索</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="281" />
        <location filename="../library_window.py" line="624" />
        <source>Recently read</source>
        <translation>最近読んだ本</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="282" />
        <source>Title</source>
        <translation>タイトル</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="283" />
        <source>Series and number</source>
        <translation>シリーズと巻数</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="284" />
        <source>Date added</source>
        <translation>追加日</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="285" />
        <source>Progress</source>
        <translation>進み具合</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="288" />
        <source>Sort the books</source>
        <translation>本の並べ替え</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="299" />
        <source>+  Add book…</source>
        <translation>+  本を追加…</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="300" />
        <source>+  Add folder…</source>
        <translation>+  フォルダを追加…</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="301" />
        <source>Remove</source>
        <translation>削除</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="306" />
        <source>♪  Prepare for offline</source>
        <translation>♪  オフライン用に準備</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="308" />
        <source>Compute the whole soundtrack of the selected books, to read them offline</source>
        <translation>選んだ本のサウンドトラックをすべて作り、オフラインで読めるようにします</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="312" />
        <source>⚙  Settings</source>
        <translation>⚙  設定</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="653" />
        <source>Books: %1</source>
        <translation>本: %1 冊</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="390" />
        <source>Adding %1…</source>
        <translation>%1 を追加中…</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="396" />
        <source>Added %1</source>
        <translation>%1 を追加しました</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="406" />
        <source>Add books</source>
        <translation>本を追加</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="407" />
        <source>Books</source>
        <translation>本</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="409" />
        <source>All files</source>
        <translation>すべてのファイル</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="417" />
        <source>Add a folder of images</source>
        <translation>画像のフォルダを追加</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="474" />
        <source>Open</source>
        <translation>開く</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="476" />
        <source>Stop preparing</source>
        <translation>準備を中止</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="478" />
        <source>Prepare for offline</source>
        <translation>オフライン用に準備</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="480" />
        <source>Show in folder</source>
        <translation>フォルダを表示</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="482" />
        <source>Remove from library</source>
        <translation>ライブラリから削除</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="501" />
        <source>Select a book to prepare for offline reading.</source>
        <translation>オフラインで読むために準備する本を選んでください。</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="509" />
        <source>Stopped preparing.</source>
        <translation>準備を中止しました。</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="533" />
        <source>Preparing %1 for offline reading…</source>
        <translation>%1 をオフライン用に準備中…</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="545" />
        <source>Preparing %1: music for %2 of %3 pages</source>
        <translation>%1 を準備中: %3 ページ中 %2 ページの音楽ができました</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="559" />
        <source>ready to read offline</source>
        <translation>オフラインで読めます</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="561" />
        <source>music for %1 of %2 pages</source>
        <translation>%2 ページ中 %1 ページの音楽</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="569" />
        <source>Preparing %1 failed: %2</source>
        <translation>%1 の準備に失敗しました: %2</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="623" />
        <source>All books</source>
        <translation>すべての本</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="631" />
        <source>SERIES</source>
        <translation>シリーズ</translation>
    </message>
    <message>
        <location filename="../library_window.py" line="690" />
        <source>No book matches.</source>
        <translation>一致する本はありません。</translation>
    </message>
</context>
<context>
    <name>ShortcutEditor</name>
    <message>
        <location filename="../shortcuts.py" line="214" />
        <source>Keyboard shortcuts</source>
        <translation>キーボードショートカット</translation>
    </message>
    <message>
        <location filename="../shortcuts.py" line="218" />
        <source>Action</source>
        <translation>操作</translation>
    </message>
    <message>
        <location filename="../shortcuts.py" line="218" />
        <source>Keys</source>
        <translation>キー</translation>
    </message>
    <message>
        <location filename="../shortcuts.py" line="275" />
        <source>%1 is given to both “%2” and “%3”.</source>
        <translation>%1 は「%2」と「%3」の両方に割り当てられています。</translation>
    </message>
</context>
<context>
    <name>ShortcutOverlay</name>
    <message>
        <location filename="../shortcuts.py" line="75" />
        <location filename="../shortcuts.py" line="112" />
        <source>Keyboard shortcuts</source>
        <translation>キーボードショートカット</translation>
    </message>
    <message>
        <location filename="../shortcuts.py" line="126" />
        <source>Press ? or Esc to close</source>
        <translation>? または Esc で閉じる</translation>
    </message>
    <message>
        <location filename="../shortcuts.py" line="127" />
        <source>Customise…</source>
        <translation>カスタマイズ…</translation>
    </message>
</context>
</TS>