//! The real sample data: every file is read, with the counts and fields it must give.

use chrono::NaiveDate;
use paperhub_core::SourceFormat;
use paperhub_ingest::{atom, expand_paths, oai, read_file, FileRecords, ReadOptions};

use crate::helpers::{gzip, read_all, read_with, shared, split, temp_file};

#[test]
fn every_atom_sample_reads_and_only_the_error_feed_is_rejected() {
    let files = expand_paths(&[shared("data/arxiv/atom")]).unwrap();
    assert_eq!(files.len(), 28);
    let (mut papers, mut errors) = (0, Vec::new());
    for file in &files {
        let (p, e) = split(read_all(file));
        papers += p.len();
        errors.extend(e);
    }
    assert_eq!(papers, 275, "276 entries less the error entry");
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].to_string().ends_with(
            "arxivpy_id_abc_s0_m100.xml:entry 1: arXiv API error: incorrect id format for abc"
        ),
        "{}",
        errors[0]
    );
}

#[test]
fn a_2016_atom_entry_has_every_field() {
    let path = shared("data/arxiv/atom/arxivpy2016_q_au_del_maestro.xml");
    let feed = atom::parse_feed(&std::fs::read(&path).unwrap(), "q.xml").unwrap();
    assert_eq!((feed.total_results, feed.start_index), (Some(31), Some(0)));
    let p = feed.records[0].clone().unwrap();
    assert_eq!(p.arxiv_id.as_ref().unwrap().to_string(), "1201.4869v1");
    assert_eq!(
        p.title,
        "A Luttinger Liquid Core Inside Helium-4 Filled Nanopores"
    );
    assert!(p
        .abstract_text
        .starts_with("As helium-4 is cooled below 2.17 K it undergoes"));
    assert!(!p.authors.is_empty());
    assert_eq!(
        p.published.unwrap().to_rfc3339(),
        "2012-01-23T21:15:02+00:00"
    );
    assert_eq!(p.format, Some(SourceFormat::Atom));
    assert!(p.links.pdf.is_some() && p.links.abs.is_some());
    assert!(!p.categories.is_empty());
}

#[test]
fn the_2026_atom_feed_keeps_author_order_and_repairs_mojibake() {
    let items = read_all(&shared("data/arxiv/atom/arxivpy_id_1707.08567_s0_m100.xml"));
    let p = items[0].clone().unwrap();
    assert_eq!(p.authors.len(), 34);
    assert_eq!(p.authors[0], "Kees A. Schouhamer Immink");
    assert!(p.authors.contains(&"Dirk Wübben".to_owned()));
    assert_eq!(p.categories, ["cs.IT"]);
    assert_eq!(
        p.comments.as_deref(),
        Some("44 pages, editors for the proceedings: Yanling Chen and A. J. Han Vinck")
    );
}

#[test]
fn the_atom_error_feed_is_an_error_with_arxivs_message() {
    let xml = std::fs::read(shared("data/arxiv/atom/arxivpy_id_abc_s0_m100.xml")).unwrap();
    let feed = atom::parse_feed(&xml, "api").unwrap();
    assert_eq!(feed.records.len(), 1);
    let err = feed.records[0].clone().unwrap_err();
    assert!(err.reason.contains("incorrect id format for abc"), "{err}");
}

#[test]
fn empty_atom_feeds_yield_nothing() {
    for name in [
        "arxivpy_id_0000.0000_s0_m100.xml",
        "arxivpy_id_0808.05394_s0_m100.xml",
    ] {
        let xml = std::fs::read(shared(&format!("data/arxiv/atom/{name}"))).unwrap();
        let feed = atom::parse_feed(&xml, name).unwrap();
        assert_eq!(feed.total_results, Some(0));
        assert!(feed.records.is_empty());
    }
}

#[test]
fn the_paged_atom_feed_reports_its_total() {
    let xml = std::fs::read(shared("data/arxiv/atom/arxivpy_q_testing_s0_m100.xml")).unwrap();
    let feed = atom::parse_feed(&xml, "q").unwrap();
    assert_eq!(feed.total_results, Some(214_881));
    assert_eq!(feed.records.iter().filter(|r| r.is_ok()).count(), 100);
}

#[test]
fn the_arxivraw_list_reads_387_records_with_versions() {
    let xml = std::fs::read(shared("data/arxiv/oai/litpuvn_ListRecords_arXivRaw.xml")).unwrap();
    let page = oai::parse_response(&xml, "l.xml").unwrap();
    assert_eq!(page.records.len(), 387);
    assert!(page.records.iter().all(Result::is_ok));
    assert_eq!(page.resumption_token.as_deref(), Some("1403493|1001"));
    assert_eq!(page.complete_list_size, Some(1440));
    assert!(page.deleted.is_empty() && page.error.is_none());
    let p = page.records[0].clone().unwrap();
    assert_eq!(p.arxiv_id.as_ref().unwrap().to_string(), "0803.4354v6");
    assert_eq!(
        p.title,
        "A O(n^8) X O(n^7) Linear Programming Model of the Traveling Salesman Problem"
    );
    assert_eq!(p.authors, ["Moustapha Diaby"]);
    assert_eq!(p.categories, ["cs.DM"]);
    assert_eq!(
        p.published.unwrap().to_rfc3339(),
        "2008-03-30T23:26:50+00:00"
    );
    assert_eq!(p.updated.unwrap().to_rfc3339(), "2016-10-20T16:58:38+00:00");
    assert_eq!(p.format, Some(SourceFormat::Oai));
}

#[test]
fn arxivraw_authors_and_dois_are_split() {
    let items = read_all(&shared("data/arxiv/oai/mikesaelim_ListRecordsResponse.xml"));
    let (papers, errors) = split(items);
    assert_eq!((papers.len(), errors.len()), (6, 0));
    let p = &papers[0];
    assert_eq!(
        p.authors,
        ["D.V. Shetty", "S.J. Yennello", "G.A. Souliotis"]
    );
    assert_eq!(p.doi.as_deref(), Some("10.1103/PhysRevC.76.024606"));
    assert_eq!(p.categories, ["nucl-ex", "nucl-th"]);
    assert_eq!(
        p.journal_ref.as_deref(),
        Some("Phys.Rev.C76:024606,2007; Erratum-ibid.C76:039902,2007")
    );
}

#[test]
fn get_record_responses_give_one_paper() {
    for name in [
        "litpuvn_GetRecord_arXivRaw.xml",
        "mikesaelim_GetRecordResponse.xml",
    ] {
        let (papers, errors) = split(read_all(&shared(&format!("data/arxiv/oai/{name}"))));
        assert_eq!((papers.len(), errors.len()), (1, 0), "{name}");
    }
}

#[test]
fn oai_error_responses_are_reported_with_their_codes() {
    for (name, code) in [
        ("mikesaelim_ErrorResponseBadArgument.xml", "badArgument"),
        (
            "mikesaelim_ErrorResponseBadResumptionToken.xml",
            "badResumptionToken",
        ),
        ("mikesaelim_ErrorResponseBadVerb.xml", "badVerb"),
        (
            "mikesaelim_ErrorResponseIdDoesNotExist.xml",
            "idDoesNotExist",
        ),
        (
            "mikesaelim_ErrorResponseNoRecordsMatch.xml",
            "noRecordsMatch",
        ),
    ] {
        let path = shared(&format!("data/arxiv/oai/{name}"));
        let page = oai::parse_response(&std::fs::read(&path).unwrap(), name).unwrap();
        assert_eq!(page.error.as_ref().unwrap().code, code);
        assert!(page.records.is_empty() && page.resumption_token.is_none());
        let items = read_all(&path);
        if code == "noRecordsMatch" {
            assert!(items.is_empty(), "no records is not a failure");
        } else {
            assert_eq!(items.len(), 1);
            assert!(items[0].clone().unwrap_err().reason.contains(code));
        }
    }
}

#[test]
fn the_arxiv_snapshot_sample_reads_all_200_records() {
    let (papers, errors) = split(read_all(&shared(
        "data/arxiv/jsonl/kaggle_arxiv-metadata-oai-snapshot_first200.jsonl",
    )));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(papers.len(), 200);
    let p = &papers[0];
    assert_eq!(p.arxiv_id.as_ref().unwrap().to_string(), "0704.0001v2");
    assert_eq!(
        p.authors,
        ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C. -P. Yuan"]
    );
    assert_eq!(
        p.title,
        "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    );
    assert_eq!(
        p.published.unwrap().to_rfc3339(),
        "2007-04-02T19:18:42+00:00"
    );
    assert_eq!(p.format, Some(SourceFormat::ArxivJson));
    // authors_parsed entries may carry a fourth element, the affiliation: it is dropped.
    let p = papers
        .iter()
        .find(|p| p.arxiv_id.as_ref().unwrap().as_str() == "0704.0052")
        .unwrap();
    assert_eq!(p.authors, ["Arthur Jaffe", "Gordon Ritter"]);
}

#[test]
fn the_listing_seed_gives_118_papers_with_yolov9_fourth() {
    let path = shared("seed/000_446ad54c0b8c9ae7.txt");
    let (papers, errors) = split(read_all(&path));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(papers.len(), 118);
    assert_eq!(papers[0].title, "Never Train from Scratch: Fair Comparison of Long-Sequence Models Requires Data-Driven Priors");
    assert_eq!(
        papers[3].title,
        "YOLOv9: Learning What You Want to Learn Using Programmable Gradient Information"
    );
    assert!(papers
        .iter()
        .all(|p| p.arxiv_id.is_none() && p.source_id.is_none()));
    assert!(papers.iter().all(|p| p
        .listed_on
        .is_some_and(|d| d.format("%m-%d").to_string() == "06-05")));
    let date = NaiveDate::from_ymd_opt(2024, 6, 5);
    let options = ReadOptions { format: None, date };
    let (papers, _) = split(read_with(&path, &options));
    assert!(papers.iter().all(|p| p.listed_on == date));
}

#[test]
fn the_scifact_corpus_reads_all_5183_documents() {
    let (papers, errors) = split(read_all(&shared("data/scifact/corpus.jsonl")));
    assert!(errors.is_empty(), "{:?}", &errors[..errors.len().min(3)]);
    assert_eq!(papers.len(), 5183);
    let p = &papers[0];
    assert_eq!(p.source_id.as_deref(), Some("4983"));
    assert_eq!(p.source_namespace.as_deref(), Some("beir:scifact"));
    assert_eq!(p.format, Some(SourceFormat::Beir));
    assert!(p
        .abstract_text
        .starts_with("Alterations of the architecture of cerebral white matter"));
}

#[test]
fn the_csv_sample_reads_all_1000_rows() {
    let path = shared("data/corpus/arxiv_paper_abstracts_sample1000.csv");
    let records = read_file(&path, &ReadOptions::default()).unwrap();
    assert_eq!(records.format(), SourceFormat::Csv);
    let (papers, errors) = split(records.collect());
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(papers.len(), 1000);
    assert_eq!(
        papers[0].title,
        "Neural ODEs for Image Segmentation with Level Sets"
    );
    assert_eq!(papers[0].categories, ["cs.CV", "cs.LG", "eess.IV"]);
}

#[test]
fn a_gzipped_sample_reads_like_the_plain_one_and_progress_reaches_the_end() {
    let plain = shared("data/arxiv/oai/mikesaelim_ListRecordsResponse.xml");
    let (_dir, gz) = temp_file("list.xml.gz", &gzip(&std::fs::read(&plain).unwrap()));
    let mut records = read_file(&gz, &ReadOptions::default()).unwrap();
    assert_eq!(records.format(), SourceFormat::Oai);
    let items: Vec<_> = records.by_ref().collect();
    assert_eq!(items.len(), 6);
    assert_eq!(records.bytes_read(), records.total_bytes());
    let plain_items: Vec<_> = read_all(&plain)
        .into_iter()
        .map(|r| r.unwrap().title)
        .collect();
    let gz_items: Vec<_> = items.into_iter().map(|r| r.unwrap().title).collect();
    assert_eq!(plain_items, gz_items);
}

#[test]
fn directories_expand_sorted_without_hidden_entries() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "b.xml",
        "a.xml",
        ".hidden.xml",
        ".git/config",
        "sub/c.jsonl",
    ] {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "x").unwrap();
    }
    let files = expand_paths(&[dir.path().to_owned()]).unwrap();
    let names: Vec<_> = files
        .iter()
        .map(|f| {
            f.strip_prefix(dir.path())
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(names, ["a.xml", "b.xml", "sub/c.jsonl"]);
    let err = expand_paths(&[dir.path().join("missing")]).unwrap_err();
    assert!(err.to_string().contains("missing"), "{err}");
}

#[test]
fn file_records_can_move_to_another_thread() {
    fn assert_send<T: Send>() {}
    assert_send::<FileRecords>();
}
